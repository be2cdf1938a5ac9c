package s3

import (
	"encoding/xml"
	"net/http"
	"sort"
	"strings"

	"github.com/modelpromote/modelpromote/internal/emulator/aws/service"
)

type listMultipartUploadsResult struct {
	XMLName     xml.Name         `xml:"ListMultipartUploadsResult"`
	Xmlns       string           `xml:"xmlns,attr"`
	Bucket      string           `xml:"Bucket"`
	Prefix      string           `xml:"Prefix"`
	MaxUploads  int              `xml:"MaxUploads"`
	IsTruncated bool             `xml:"IsTruncated"`
	Uploads     []uploadListItem `xml:"Upload"`
}

type uploadListItem struct {
	Key               string `xml:"Key"`
	UploadID          string `xml:"UploadId"`
	Initiated         string `xml:"Initiated"`
	StorageClass      string `xml:"StorageClass"`
	ChecksumAlgorithm string `xml:"ChecksumAlgorithm,omitempty"`
	ChecksumType      string `xml:"ChecksumType,omitempty"`
}

// listMultipartUploads serves ListMultipartUploads with a prefix; it does
// not paginate (all uploads come in one page, IsTruncated false).
func (s *Service) listMultipartUploads(w http.ResponseWriter, r *http.Request, c service.Caller) *apiError {
	name, _ := splitPath(r)
	prefix := r.URL.Query().Get("prefix")
	s.mu.RLock()
	_, err := s.authorize(r, c, name, "s3:ListBucketMultipartUploads", bucketARN(name), "X-Amz-Expected-Bucket-Owner")
	res := listMultipartUploadsResult{Xmlns: xmlns, Bucket: name, Prefix: prefix, MaxUploads: 1000}
	if err == nil {
		for _, u := range s.uploads {
			if u.bucket == name && strings.HasPrefix(u.key, prefix) {
				res.Uploads = append(res.Uploads, uploadListItem{Key: u.key, UploadID: u.id, Initiated: formatTime(u.created),
					StorageClass: "STANDARD", ChecksumAlgorithm: u.checksumAlg, ChecksumType: u.checksumType})
			}
		}
	}
	s.mu.RUnlock()
	if err != nil {
		return err
	}
	sort.Slice(res.Uploads, func(i, j int) bool {
		a, b := res.Uploads[i], res.Uploads[j]
		return a.Key < b.Key || (a.Key == b.Key && a.Initiated < b.Initiated)
	})
	writeXML(w, http.StatusOK, res)
	return nil
}
