// Package vgg is the VGG-19 network of Simonyan & Zisserman as Stylelab uses
// it: its weights in one canonical form with their preprocessing, the layer
// taps (conv1_1 ... conv5_4, relu1_1 ..., pool1 ... pool5) built as a gorgonia
// graph, the ImageNet classifier, and the paper's normalisation of the
// filters' mean activations (Normalise). Package weights reads the weight files.
package vgg
