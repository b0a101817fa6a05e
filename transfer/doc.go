// Package transfer is Gatys, Ecker and Bethge's algorithm: a run's settings
// (Config, defined once in the Settings table and checked once into a Plan)
// and the optimisation of an image for a Plan on VGG-19, with progress,
// snapshots and cancellation.
package transfer
