package report

import "testing"

// Report content (SHAP feature names, metric keys) must render as the text
// it is, never as a link or an emoji.
func TestEscapeKeepsURLsAndShortcodesAsText(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"https://evil.example/x", "https&#58;//evil.example/x"},
		{"see HTTP://a.b", "see HTTP&#58;//a.b"},
		{"www.evil.example", "www&#46;evil.example"},
		{"go to WWW.x.y", "go to WWW&#46;x.y"},
		{":rocket: launch", "&#58;rocket&#58; launch"},
		{"a :+1: b", "a &#58;+1&#58; b"},
		// Left as they are: ARNs, S3 URIs, times, words around colons.
		{"arn:aws:sagemaker:eu-west-1:111111111111:model-package/fraud/12", "arn:aws:sagemaker:eu-west-1:111111111111:model-package/fraud/12"},
		{"s3://bucket/key", "s3://bucket/key"},
		{"12:30:45", "12:30:45"},
		{"ratio: 0.8", "ratio: 0.8"},
		{"awww.x", "awww.x"},
		{"xhttps://y", "xhttps://y"},
	} {
		if got := Escape(c.in); got != c.want {
			t.Errorf("Escape(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
