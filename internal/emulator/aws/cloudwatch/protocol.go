package cloudwatch

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"

	"github.com/modelpromote/modelpromote/internal/emulator/aws/service"
)

// CloudWatch answers the same operations over three protocols, and so does
// the emulator, telling them apart by the request:
//
//   - Smithy RPC v2 CBOR, which aws-sdk-go-v2 (v1.75 on) sends: POST
//     /service/GraniteServiceVersion20100801/operation/<Operation> with
//     Smithy-Protocol: rpc-v2-cbor
//     (https://smithy.io/2.0/additional-specs/protocols/smithy-rpc-v2.html);
//   - AWS JSON 1.0, which recent AWS CLIs send: POST / with X-Amz-Target:
//     GraniteServiceVersion20100801.<Operation>
//     (https://smithy.io/2.0/aws/protocols/aws-json-1_0-protocol.html);
//   - the AWS query protocol, CloudWatch's original one and what older
//     CLIs and SDKs send: Action=<Operation>&Version=2010-08-01 form
//     parameters, lists as Name.member.N, answered in XML
//     (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/making-api-requests.html).
//
// The service is awsQueryCompatible: errors in the first two carry
// X-Amzn-Query-Error: <query error code>;<Sender|Receiver>, from which
// clients take the code the query protocol would have given
// (https://smithy.io/2.0/aws/protocols/aws-query-protocol.html#aws-protocols-awsquerycompatible-trait).
type protocol int

const (
	rpcV2CBOR protocol = iota
	awsJSON10
	awsQuery
)

const (
	pathPrefix   = "/service/GraniteServiceVersion20100801/operation/"
	targetPrefix = "GraniteServiceVersion20100801."
	xmlns        = "http://monitoring.amazonaws.com/doc/2010-08-01/"
)

func protocolOf(r *http.Request) protocol {
	switch {
	case strings.HasPrefix(r.URL.Path, pathPrefix) || r.Header.Get("Smithy-Protocol") == "rpc-v2-cbor":
		return rpcV2CBOR
	case strings.HasPrefix(r.Header.Get("X-Amz-Target"), targetPrefix):
		return awsJSON10
	}
	return awsQuery
}

// operation names the operation r calls, without consuming its body.
func (p protocol) operation(r *http.Request) string {
	switch p {
	case rpcV2CBOR:
		op, _ := strings.CutPrefix(r.URL.Path, pathPrefix)
		return op
	case awsJSON10:
		op, _ := strings.CutPrefix(r.Header.Get("X-Amz-Target"), targetPrefix)
		return op
	}
	return service.FormParams(r).Get("Action")
}

// params are an operation's input members, whatever the protocol.
type params interface {
	// str is a string member, "" when absent.
	str(key string) (string, error)
	// strs is a list of strings.
	strs(key string) ([]string, error)
	// integer is an integer member and whether it was sent.
	integer(key string) (int64, bool, error)
}

func badMember(key, want string) error {
	return &apiError{"InvalidParameterValue", key + " must be " + want + "."}
}

// decode reads r's input members.
func (p protocol) decode(r *http.Request) (params, error) {
	if p == awsQuery {
		return queryParams(service.FormParams(r)), nil
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, &apiError{"SerializationException", err.Error()}
	}
	if p == awsJSON10 {
		in := jsonParams{}
		if len(bytes.TrimSpace(body)) > 0 {
			d := json.NewDecoder(bytes.NewReader(body))
			d.UseNumber()
			if err := d.Decode(&in); err != nil {
				return nil, &apiError{"SerializationException", "request body is not a JSON object: " + err.Error()}
			}
		}
		return in, nil
	}
	in := cborParams{}
	if len(body) > 0 {
		v, err := cbor.Decode(body)
		if err != nil {
			return nil, &apiError{"SerializationException", err.Error()}
		}
		m, ok := v.(cbor.Map)
		if !ok {
			return nil, &apiError{"SerializationException", "request body is not a CBOR map"}
		}
		in = cborParams(m)
	}
	return in, nil
}

type cborParams cbor.Map

func (m cborParams) str(key string) (string, error) {
	v, ok := m[key]
	if !ok {
		return "", nil
	}
	s, ok := v.(cbor.String)
	if !ok {
		return "", badMember(key, "a string")
	}
	return string(s), nil
}

func (m cborParams) strs(key string) ([]string, error) {
	v, ok := m[key]
	if !ok {
		return nil, nil
	}
	l, ok := v.(cbor.List)
	if !ok {
		return nil, badMember(key, "a list of strings")
	}
	out := make([]string, 0, len(l))
	for _, e := range l {
		s, ok := e.(cbor.String)
		if !ok {
			return nil, badMember(key, "a list of strings")
		}
		out = append(out, string(s))
	}
	return out, nil
}

func (m cborParams) integer(key string) (int64, bool, error) {
	v, ok := m[key]
	if !ok {
		return 0, false, nil
	}
	n, err := cbor.AsInt64(v)
	if err != nil {
		return 0, true, badMember(key, "an integer")
	}
	return n, true, nil
}

type jsonParams map[string]any

func (m jsonParams) str(key string) (string, error) {
	v, ok := m[key]
	if !ok || v == nil {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", badMember(key, "a string")
	}
	return s, nil
}

func (m jsonParams) strs(key string) ([]string, error) {
	v, ok := m[key]
	if !ok || v == nil {
		return nil, nil
	}
	l, ok := v.([]any)
	if !ok {
		return nil, badMember(key, "a list of strings")
	}
	out := make([]string, 0, len(l))
	for _, e := range l {
		s, ok := e.(string)
		if !ok {
			return nil, badMember(key, "a list of strings")
		}
		out = append(out, s)
	}
	return out, nil
}

func (m jsonParams) integer(key string) (int64, bool, error) {
	v, ok := m[key]
	if !ok || v == nil {
		return 0, false, nil
	}
	n, ok := v.(json.Number)
	if !ok {
		return 0, true, badMember(key, "an integer")
	}
	i, err := n.Int64()
	if err != nil {
		return 0, true, badMember(key, "an integer")
	}
	return i, true, nil
}

type queryParams url.Values

func (q queryParams) str(key string) (string, error) { return url.Values(q).Get(key), nil }

// strs reads Key.member.1, Key.member.2, … up to the first gap.
func (q queryParams) strs(key string) ([]string, error) {
	var out []string
	for i := 1; ; i++ {
		v, ok := q[key+".member."+strconv.Itoa(i)]
		if !ok || len(v) == 0 {
			return out, nil
		}
		out = append(out, v[0])
	}
}

func (q queryParams) integer(key string) (int64, bool, error) {
	v, ok := q[key]
	if !ok || len(v) == 0 {
		return 0, false, nil
	}
	n, err := strconv.ParseInt(v[0], 10, 64)
	if err != nil {
		return 0, true, badMember(key, "an integer")
	}
	return n, true, nil
}

// An operation's output is a tree of map[string]any, []any, string,
// int32, float64, bool and time.Time, written in the request's protocol.
func (p protocol) write(w http.ResponseWriter, op string, out map[string]any) {
	w.Header().Set("X-Amzn-RequestId", requestID())
	switch p {
	case rpcV2CBOR:
		w.Header().Set("Content-Type", "application/cbor")
		w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
		w.Write(cbor.Encode(toCBOR(out)))
	case awsJSON10:
		b, err := json.Marshal(toJSON(out))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.Write(b)
	default:
		var buf bytes.Buffer
		fmt.Fprintf(&buf, `%s<%sResponse xmlns="%s"><%sResult>`, xml.Header, op, xmlns, op)
		writeXMLMembers(&buf, out)
		fmt.Fprintf(&buf, `</%sResult><ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>`, op, w.Header().Get("X-Amzn-RequestId"), op)
		w.Header().Set("Content-Type", "text/xml")
		w.Write(buf.Bytes())
	}
}

// writeError writes an error in the request's protocol.
func (p protocol) writeError(w http.ResponseWriter, status int, code, message string) {
	fault := "Sender"
	if status >= 500 {
		fault = "Receiver"
	}
	id := requestID()
	w.Header().Set("X-Amzn-RequestId", id)
	if p == awsQuery {
		var buf bytes.Buffer
		fmt.Fprintf(&buf, `%s<ErrorResponse xmlns="%s"><Error><Type>%s</Type><Code>%s</Code><Message>`, xml.Header, xmlns, fault, code)
		xml.EscapeText(&buf, []byte(message))
		fmt.Fprintf(&buf, `</Message></Error><RequestId>%s</RequestId></ErrorResponse>`, id)
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(status)
		w.Write(buf.Bytes())
		return
	}
	typ := code
	if shape, ok := shapes[code]; ok {
		typ = "com.amazonaws.cloudwatch#" + shape
	}
	w.Header().Set("X-Amzn-Query-Error", code+";"+fault)
	if p == awsJSON10 {
		b, _ := json.Marshal(map[string]string{"__type": typ, "message": message})
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.WriteHeader(status)
		w.Write(b)
		return
	}
	w.Header().Set("Content-Type", "application/cbor")
	w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	w.WriteHeader(status)
	w.Write(cbor.Encode(cbor.Map{
		"__type":  cbor.String(typ),
		"message": cbor.String(message),
		"Message": cbor.String(message),
	}))
}

func toCBOR(v any) cbor.Value {
	switch v := v.(type) {
	case map[string]any:
		m := cbor.Map{}
		for k, e := range v {
			m[k] = toCBOR(e)
		}
		return m
	case []any:
		l := cbor.List{}
		for _, e := range v {
			l = append(l, toCBOR(e))
		}
		return l
	case string:
		return cbor.String(v)
	case int32:
		if v < 0 {
			return cbor.NegInt(-int64(v))
		}
		return cbor.Uint(v)
	case float64:
		return cbor.Float64(v)
	case bool:
		return cbor.Bool(v)
	case time.Time:
		// Epoch seconds, tag 1, as RPC v2 sends timestamps.
		return &cbor.Tag{ID: 1, Value: cbor.Float64(float64(v.UnixMilli()) / 1000)}
	}
	panic(fmt.Sprintf("cloudwatch: no CBOR for %T", v))
}

// toJSON replaces times with epoch seconds, as JSON 1.0 sends them.
func toJSON(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := map[string]any{}
		for k, e := range v {
			m[k] = toJSON(e)
		}
		return m
	case []any:
		l := []any{}
		for _, e := range v {
			l = append(l, toJSON(e))
		}
		return l
	case time.Time:
		return float64(v.UnixMilli()) / 1000
	}
	return v
}

// writeXMLMembers writes a structure's members as query-protocol XML: one
// element per member, list items as <member>, timestamps in ISO 8601.
func writeXMLMembers(buf *bytes.Buffer, m map[string]any) {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		fmt.Fprintf(buf, "<%s>", k)
		writeXMLValue(buf, m[k])
		fmt.Fprintf(buf, "</%s>", k)
	}
}

func writeXMLValue(buf *bytes.Buffer, v any) {
	switch v := v.(type) {
	case map[string]any:
		writeXMLMembers(buf, v)
	case []any:
		for _, e := range v {
			buf.WriteString("<member>")
			writeXMLValue(buf, e)
			buf.WriteString("</member>")
		}
	case string:
		xml.EscapeText(buf, []byte(v))
	case int32:
		buf.WriteString(strconv.Itoa(int(v)))
	case float64:
		buf.WriteString(strconv.FormatFloat(v, 'f', -1, 64))
	case bool:
		buf.WriteString(strconv.FormatBool(v))
	case time.Time:
		buf.WriteString(v.UTC().Format("2006-01-02T15:04:05.000Z"))
	default:
		panic(fmt.Sprintf("cloudwatch: no XML for %T", v))
	}
}
