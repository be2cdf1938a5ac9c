package sagemaker

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/modelpromote/modelpromote/internal/emulator/aws/service"
)

// Timestamp is a time that travels as JSON 1.1 does it: a number of seconds
// since the epoch, with a fraction.
type Timestamp struct{ time.Time }

// MarshalJSON writes epoch seconds with millisecond precision.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	return []byte(strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', -1, 64)), nil
}

// UnmarshalJSON reads epoch seconds.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("timestamp %s: %w", b, err)
	}
	sec, frac := math.Modf(f)
	t.Time = time.Unix(int64(sec), int64(frac*1e9)).UTC()
	return nil
}

func stamp(t time.Time) Timestamp { return Timestamp{t.Round(time.Millisecond)} }

// Tag is a resource tag.
type Tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// entityName is the pattern SageMaker gives model, endpoint, endpoint
// config and model package group names (EntityName in the API model).
var entityName = regexp.MustCompile(`^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$`)

// checkName validates a resource name against SageMaker's EntityName rules.
func checkName(v, member string) error {
	if err := required(v, member); err != nil {
		return err
	}
	if len(v) > 63 {
		return constraintError(v, member, "Member must have length less than or equal to 63")
	}
	if !entityName.MatchString(v) {
		return constraintError(v, member, "Member must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")
	}
	return nil
}

// arn builds a SageMaker ARN. SageMaker lower-cases resource names in ARNs
// (names are unique case-insensitively).
func (st *state) arn(resource, name string) string {
	return fmt.Sprintf("arn:aws:sagemaker:%s:%s:%s/%s", st.region, st.account, resource, strings.ToLower(name))
}

// nameFromARN accepts either a name or an ARN of the given resource type and
// returns the name part.
func nameFromARN(v, resource string) string {
	if !strings.HasPrefix(v, "arn:") {
		return v
	}
	_, after, ok := strings.Cut(v, ":"+resource+"/")
	if !ok {
		return v
	}
	return after
}

func requestID() string { return service.RequestID() }

// page slices items for a List operation. The next token is the offset of
// the next item, opaque to clients as it is with AWS.
func page[T any](items []T, nextToken string, maxResults int) ([]T, string, error) {
	start := 0
	if nextToken != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(nextToken, "emu-"))
		if err != nil || n < 0 || n > len(items) {
			return nil, "", validationError("Invalid pagination token %s", nextToken)
		}
		start = n
	}
	if maxResults <= 0 {
		maxResults = 10
	}
	end := min(start+maxResults, len(items))
	next := ""
	if end < len(items) {
		next = "emu-" + strconv.Itoa(end)
	}
	return items[start:end], next, nil
}

// clone deep-copies v through JSON, so inspection results never alias the
// emulator's state.
func clone[T any](v T) T {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("sagemaker: clone: %v", err))
	}
	var out T
	if err := json.Unmarshal(b, &out); err != nil {
		panic(fmt.Sprintf("sagemaker: clone: %v", err))
	}
	return out
}

// inOrder lists a map's values in the order they were created.
func inOrder[T any](m map[string]*T, seq func(*T) uint64) []*T {
	out := make([]*T, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b *T) int { return cmp.Compare(seq(a), seq(b)) })
	return out
}
