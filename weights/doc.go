// Package weights finds and loads VGG-19 weights: it tells a file's format
// apart, checks the source against the published sha256s of the models
// fetch knows, converts it to vgg.Weights with the readers in tfjs, torch
// and caffe, and keeps converted weights in a cache keyed by the source's
// sha256, with normalised weights (Normalised) and the image sets they are
// measured on.
package weights
