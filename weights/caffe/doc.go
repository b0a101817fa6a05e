// Package caffe reads a Caffe VGG-19 (.caffemodel, any layer layout) into
// vgg.Weights.
package caffe
