// Package analysis measures what each VGG-19 layer contributes to style:
// loss shares, where a layer acts on the image, style distances between
// paintings. Its functions return data; plots draws it and kernel/display
// shows it in notebooks.
package analysis
