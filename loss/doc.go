// Package loss owns the loss terms of Gatys et al. as gorgonia ops on VGG-19
// features: the content loss, the Gram-matrix style loss, and total
// variation, under a named scaling (the paper's, or the per-element
// normalisation of jcjohnson/neural-style), with their exact gradients.
package loss
