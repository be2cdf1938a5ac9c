package awsemu

import (
	"testing"
	"time"
)

// A request that began before ResetRequests and is answered after it (its
// client may already have read the answer and gone on) is not logged; one
// that began after it is.
func TestRequestsFromBeforeAResetStayOutOfTheLog(t *testing.T) {
	s := &Server{}
	before := time.Now()
	s.log.add(Request{Service: "s3", Operation: "GetObject"}, before)
	s.ResetRequests()
	s.log.add(Request{Service: "s3", Operation: "HeadObject"}, before) // answered after the reset
	s.log.add(Request{Service: "sagemaker", Operation: "CreateModel"}, time.Now())
	got := s.Requests()
	if len(got) != 1 || got[0].Operation != "CreateModel" {
		t.Errorf("log after the reset: %+v, want only CreateModel", got)
	}
	if s.Count("s3", "HeadObject") != 0 || s.Count("sagemaker", "CreateModel") != 1 {
		t.Errorf("counts %v", s.Counts())
	}
}
