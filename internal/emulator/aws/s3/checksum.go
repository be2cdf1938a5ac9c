package s3

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"strings"
)

// Checksum algorithms S3 accepts, in the SDK's spelling.
const (
	algCRC32     = "CRC32"
	algCRC32C    = "CRC32C"
	algCRC64NVME = "CRC64NVME"
	algSHA1      = "SHA1"
	algSHA256    = "SHA256"
)

var checksumAlgorithms = []string{algCRC32, algCRC32C, algCRC64NVME, algSHA1, algSHA256}

// crc64NVMETable uses the reflected NVMe polynomial, as the SDK does.
var crc64NVMETable = crc64.MakeTable(0x9a6c9329ac4bc9b5)

func newChecksum(alg string) hash.Hash {
	switch alg {
	case algCRC32:
		return crc32.NewIEEE()
	case algCRC32C:
		return crc32.New(crc32.MakeTable(crc32.Castagnoli))
	case algCRC64NVME:
		return crc64.New(crc64NVMETable)
	case algSHA1:
		return sha1.New()
	case algSHA256:
		return sha256.New()
	}
	return nil
}

// checksumHeader is the header carrying an algorithm's value.
func checksumHeader(alg string) string { return "X-Amz-Checksum-" + strings.ToLower(alg) }

// algorithmOfHeader maps x-amz-checksum-sha256 to SHA256, "" if not a
// checksum value header.
func algorithmOfHeader(h string) string {
	for _, alg := range checksumAlgorithms {
		if strings.EqualFold(h, checksumHeader(alg)) {
			return alg
		}
	}
	return ""
}

// compositeChecksum is S3's checksum of a multipart object: the algorithm
// over the concatenated binary part checksums, suffixed with -N.
func compositeChecksum(alg string, parts []string) string {
	h := newChecksum(alg)
	for _, p := range parts {
		b, _ := base64.StdEncoding.DecodeString(p)
		h.Write(b)
	}
	return b64(h.Sum(nil)) + "-" + itoa(len(parts))
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
