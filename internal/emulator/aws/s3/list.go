package s3

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/modelpromote/modelpromote/internal/emulator/aws/service"
)

func (s *Service) listObjectsV2(w http.ResponseWriter, r *http.Request, c service.Caller) *apiError {
	name, _ := splitPath(r)
	q := r.URL.Query()
	prefix, delimiter, startAfter := q.Get("prefix"), q.Get("delimiter"), q.Get("start-after")
	maxKeys := 1000
	if v := q.Get("max-keys"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return invalidArgument("Provided max-keys not an integer or within integer range")
		}
		maxKeys = min(n, 1000)
	}
	marker := startAfter
	token := q.Get("continuation-token")
	if token != "" {
		b, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil {
			return invalidArgument("The continuation token provided is incorrect")
		}
		marker = string(b)
	}

	s.mu.RLock()
	b, err := s.authorize(r, c, name, "s3:ListBucket", bucketARN(name), "X-Amz-Expected-Bucket-Owner")
	var keys []string
	objects := map[string]Object{}
	if err == nil {
		for k, o := range b.objects {
			if strings.HasPrefix(k, prefix) {
				keys = append(keys, k)
				objects[k] = o.clone()
			}
		}
	}
	s.mu.RUnlock()
	if err != nil {
		return err
	}
	sort.Strings(keys)

	enc := func(v string) string { return v }
	if q.Get("encoding-type") == "url" {
		enc = func(v string) string { return strings.ReplaceAll(url.QueryEscape(v), "%2F", "/") }
	}
	res := listBucketResult{
		Xmlns: xmlns, Name: name, Prefix: enc(prefix), Delimiter: enc(delimiter), MaxKeys: maxKeys,
		EncodingType: q.Get("encoding-type"), ContinuationToken: token, StartAfter: enc(startAfter),
	}
	last := ""
	for _, k := range keys {
		if k <= marker || (delimiter != "" && strings.HasSuffix(marker, delimiter) && strings.HasPrefix(k, marker)) {
			continue
		}
		item := k
		isPrefix := false
		if delimiter != "" {
			if i := strings.Index(k[len(prefix):], delimiter); i >= 0 {
				item, isPrefix = k[:len(prefix)+i+len(delimiter)], true
			}
		}
		if isPrefix && item == last {
			continue
		}
		if res.KeyCount == maxKeys {
			res.IsTruncated = true
			res.NextContinuationToken = base64.RawURLEncoding.EncodeToString([]byte(last))
			break
		}
		last = item
		res.KeyCount++
		if isPrefix {
			res.CommonPrefixes = append(res.CommonPrefixes, commonPrefix{Prefix: enc(item)})
			continue
		}
		o := objects[k]
		res.Contents = append(res.Contents, listEntry{
			Key: enc(k), LastModified: formatTime(o.LastModified), ETag: o.ETag, Size: o.Size,
			ChecksumAlgorithm: o.ChecksumAlgorithm, ChecksumType: o.ChecksumType, StorageClass: "STANDARD",
		})
	}
	writeXML(w, http.StatusOK, res)
	return nil
}
