// Package experiments tracks style transfers: a Lab runs transfers and
// sweeps of settings on VGG-19 and logs every run to the experiment store
// as it happens.
package experiments
