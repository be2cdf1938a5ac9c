// Package identity holds the AWS emulator's accounts and the credentials it
// has issued: long-term IAM user keys and temporary STS session keys. The
// core looks keys up to verify signatures; STS issues session keys into it.
package identity

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"regexp"
	"sort"
	"sync"
	"time"
)

// Account is one emulated AWS account.
type Account struct {
	Name string
	ID   string
}

// Key is a set of credentials the emulator issued and the principal they
// belong to. String redacts the secret and the session token.
type Key struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	// Account is the 12-digit account ID the key belongs to.
	Account string
	// ARN is the principal: an IAM user or an assumed-role session.
	ARN string
	// UserID is what GetCallerIdentity returns as UserId.
	UserID string
	// Temporary is true for STS session keys (ASIA…).
	Temporary bool
	// Chained is true for sessions obtained by role chaining: AssumeRole
	// called with another role session's credentials.
	Chained bool
	// Expires is when a temporary key stops working.
	Expires time.Time
	// SourceIdentity is carried through role chaining.
	SourceIdentity string
}

// String describes the key without its secret parts.
func (k Key) String() string {
	return fmt.Sprintf("%s (%s)", k.AccessKeyID, k.ARN)
}

// GoString redacts secrets from %#v too.
func (k Key) GoString() string { return "identity.Key{" + k.String() + "}" }

var accountID = regexp.MustCompile(`^[0-9]{12}$`)

// Store holds accounts and keys. It is safe for concurrent use.
type Store struct {
	mu       sync.RWMutex
	accounts map[string]Account
	keys     map[string]Key
}

// NewStore returns an empty store.
func NewStore() *Store {
	return &Store{accounts: map[string]Account{}, keys: map[string]Key{}}
}

// AddAccount registers an account. Adding the same account twice is an
// error, as is an ID that is not 12 digits.
func (s *Store) AddAccount(name, id string) error {
	if !accountID.MatchString(id) {
		return fmt.Errorf("add account %q: id %q is not 12 digits", name, id)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.accounts[id]; ok {
		return fmt.Errorf("add account %q: id %s already exists", name, id)
	}
	s.accounts[id] = Account{Name: name, ID: id}
	return nil
}

// Account returns the account with the given ID.
func (s *Store) Account(id string) (Account, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	a, ok := s.accounts[id]
	return a, ok
}

// Accounts lists the accounts, ordered by ID.
func (s *Store) Accounts() []Account {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Account, 0, len(s.accounts))
	for _, a := range s.accounts {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// AddUser creates an IAM user in an existing account and returns its
// long-term access key.
func (s *Store) AddUser(account, user string) (Key, error) {
	if _, ok := s.Account(account); !ok {
		return Key{}, fmt.Errorf("add user %q: no account %s", user, account)
	}
	k := Key{
		AccessKeyID:     "AKIA" + randomID(16),
		SecretAccessKey: randomSecret(30),
		Account:         account,
		ARN:             fmt.Sprintf("arn:aws:iam::%s:user/%s", account, user),
		UserID:          "AIDA" + randomID(17),
	}
	s.mu.Lock()
	s.keys[k.AccessKeyID] = k
	s.mu.Unlock()
	return k, nil
}

// Issue stores a temporary session key for the principal described by k
// (Account, ARN, UserID, Expires, SourceIdentity) and returns it with fresh
// access key, secret and session token.
func (s *Store) Issue(k Key) Key {
	k.AccessKeyID = "ASIA" + randomID(16)
	k.SecretAccessKey = randomSecret(30)
	k.SessionToken = "FwoGZXIvYXdzE" + randomSecret(150)
	k.Temporary = true
	s.mu.Lock()
	s.keys[k.AccessKeyID] = k
	s.mu.Unlock()
	return k
}

// Lookup returns the key with the given access key ID.
func (s *Store) Lookup(accessKeyID string) (Key, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	k, ok := s.keys[accessKeyID]
	return k, ok
}

const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

// NewID returns prefix followed by n random characters of AWS's unique-ID
// alphabet, e.g. NewID("AROA", 17) for a role ID.
func NewID(prefix string, n int) string { return prefix + randomID(n) }

func randomID(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("identity: crypto/rand: %v", err))
	}
	for i := range b {
		b[i] = idAlphabet[int(b[i])%len(idAlphabet)]
	}
	return string(b)
}

func randomSecret(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("identity: crypto/rand: %v", err))
	}
	return base64.StdEncoding.EncodeToString(b)
}
