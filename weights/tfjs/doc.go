// Package tfjs reads a Keras VGG-19 saved as a TensorFlow.js layers model
// (float32 or quantized) into vgg.Weights.
package tfjs
