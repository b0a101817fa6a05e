// Package vgg owns the VGG-19 network of Simonyan & Zisserman as Stylelab
// uses it: its weights in one canonical form whatever file they came from
// (TensorFlow.js, torchvision, Caffe, and the converted-weights cache), each
// source's preprocessing, the layer taps (conv1_1 ... conv5_4, relu1_1 ...,
// pool1 ... pool5) built as a gorgonia graph, and the ImageNet classifier
// that checks a loader end to end.
package vgg
