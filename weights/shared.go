package weights

// CacheDir is the folder of converted weights: $STYLELAB_CACHE, else the
// user cache directory's stylelab/weights. The tasks of a sweep on a
// cluster share one by STYLELAB_CACHE, so weights are converted once.
func CacheDir() (string, error) { return cacheDir() }
