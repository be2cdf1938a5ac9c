package artifacts

// SetMaxCopyObjectSize lowers the size above which server-side copies are
// multipart, until the returned function is called.
func SetMaxCopyObjectSize(n int64) (restore func()) {
	old := maxCopyObjectSize
	maxCopyObjectSize = n
	return func() { maxCopyObjectSize = old }
}

// Peak is the most bytes of buffers the budget has held or kept at once.
func (b *Budget) Peak() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.peak
}

// FullObjectSHA256 is fullObjectSHA256.
var FullObjectSHA256 = fullObjectSHA256
