package endpoints

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
)

// Tags modelpromote puts on every model and endpoint config it creates, so
// that Cleanup deletes only its own and a rerun can tell whose a name is.
const (
	TagEndpoint = "modelpromote:endpoint"
	TagDeployID = "modelpromote:deploy-id"
)

// maxName is SageMaker's limit on model and endpoint config names.
const maxName = 63

// hashLen is how many hex digits of a hash end a shortened name.
const hashLen = 8

// notNameChar matches what SageMaker's EntityName pattern does not allow.
var notNameChar = regexp.MustCompile(`[^a-zA-Z0-9-]+`)

// ResourceName is the name of the model and of the endpoint config that
// deployment deployID of endpoint creates: "<endpoint>-<deployID>". It is
// deterministic, so a rerun finds what a crashed run created, and distinct
// per deployment. It satisfies SageMaker's EntityName rules: characters
// other than letters, digits and hyphens in deployID are replaced, and a
// name longer than 63 characters, or one whose deployID had to be changed,
// is cut and ends with a hash of endpoint and deployID instead.
func ResourceName(endpoint, deployID string) string {
	id := strings.Trim(notNameChar.ReplaceAllString(deployID, "-"), "-")
	name := endpoint + "-" + id
	if id == deployID && len(name) <= maxName {
		return name
	}
	sum := sha256.Sum256([]byte(endpoint + "\x00" + deployID))
	keep := min(len(name), maxName-hashLen-1)
	return strings.TrimRight(name[:keep], "-") + "-" + hex.EncodeToString(sum[:])[:hashLen]
}

// namePrefix is what every ResourceName of endpoint starts with; other
// endpoints' names may start with it too, so it narrows a listing, and the
// TagEndpoint tag decides.
func namePrefix(endpoint string) string {
	return strings.TrimRight(endpoint[:min(len(endpoint), maxName-hashLen-1)], "-")
}
