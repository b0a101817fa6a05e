// Package vgg is the VGG-19 network of Simonyan & Zisserman as Stylelab uses
// it: its weights in one canonical form with their preprocessing, the layer
// taps (conv1_1 ... conv5_4, relu1_1 ..., pool1 ... pool5) built as a gorgonia
// graph, and the ImageNet classifier. Package weights reads the weight files.
package vgg
