// Package fetch downloads the VGG-19 models it knows, resuming partial files
// and checking them against their published sizes and sha256s, and verifies
// downloaded files against those sums.
package fetch
