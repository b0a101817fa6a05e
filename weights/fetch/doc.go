// Package fetch downloads the VGG-19 models it knows, resuming partial files,
// bounding what a server may send and how long it may stall, and checking
// each file against its published size and sha256 before it is put in place;
// it also verifies downloaded files against those sums.
package fetch
