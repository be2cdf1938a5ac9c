package s3

import (
	"encoding/xml"
	"io"
	"net/http"

	"github.com/modelpromote/modelpromote/internal/emulator/aws/service"
)

type deleteRequest struct {
	Quiet   bool `xml:"Quiet"`
	Objects []struct {
		Key string `xml:"Key"`
	} `xml:"Object"`
}

type deleteResult struct {
	XMLName xml.Name        `xml:"DeleteResult"`
	Xmlns   string          `xml:"xmlns,attr"`
	Deleted []deletedObject `xml:"Deleted"`
	Errors  []deleteError   `xml:"Error"`
}

type deletedObject struct {
	Key string `xml:"Key"`
}

type deleteError struct {
	Key     string `xml:"Key"`
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

// deleteObjects serves DeleteObjects (POST ?delete): up to 1000 keys, each
// authorized on its own; denied keys are reported per key, as S3 does.
func (s *Service) deleteObjects(w http.ResponseWriter, r *http.Request, c service.Caller) *apiError {
	name, _ := splitPath(r)
	body, err := io.ReadAll(io.LimitReader(r.Body, 2<<20))
	if err != nil {
		return internalError(err)
	}
	var req deleteRequest
	if xml.Unmarshal(body, &req) != nil || len(req.Objects) == 0 || len(req.Objects) > 1000 {
		return errMalformedXML
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.buckets[name]
	if !ok {
		return errNoSuchBucket
	}
	if want := r.Header.Get("X-Amz-Expected-Bucket-Owner"); want != "" && want != b.Owner {
		return errAccessDenied
	}
	res := deleteResult{Xmlns: xmlns}
	for _, o := range req.Objects {
		if !b.allowed(c.Account, c.ARN, "s3:DeleteObject", objectARN(name, o.Key)) {
			res.Errors = append(res.Errors, deleteError{Key: o.Key, Code: "AccessDenied", Message: "Access Denied"})
			continue
		}
		if old, ok := b.objects[o.Key]; ok {
			if old.retained(s.now()) {
				res.Errors = append(res.Errors, deleteError{Key: o.Key, Code: errObjectLocked.code, Message: errObjectLocked.message})
				continue
			}
			s.discardLocked(old.segments)
			delete(b.objects, o.Key)
		}
		if !req.Quiet {
			res.Deleted = append(res.Deleted, deletedObject{Key: o.Key})
		}
	}
	writeXML(w, http.StatusOK, res)
	return nil
}
