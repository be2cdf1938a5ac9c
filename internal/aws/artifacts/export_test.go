package artifacts

// SetMaxCopyObjectSize lowers the size above which server-side copies are
// multipart, until the returned function is called.
func SetMaxCopyObjectSize(n int64) (restore func()) {
	old := maxCopyObjectSize
	maxCopyObjectSize = n
	return func() { maxCopyObjectSize = old }
}
