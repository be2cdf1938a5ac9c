package plan

import (
	"context"
	"strings"
	"sync"
)

// memoDirectory answers each Directory question once per check: the same
// reviewer is judged for every promotion, and each lookup is an API call.
// Concurrent askers of the same question wait for the first answer.
type memoDirectory struct {
	dir   Directory
	mu    sync.Mutex
	calls map[string]*memoCall
}

type memoCall struct {
	once sync.Once
	ok   bool
	err  error
}

func newMemoDirectory(dir Directory) *memoDirectory {
	if m, ok := dir.(*memoDirectory); ok {
		return m
	}
	return &memoDirectory{dir: dir, calls: map[string]*memoCall{}}
}

func (m *memoDirectory) do(key string, f func() (bool, error)) (bool, error) {
	m.mu.Lock()
	c, ok := m.calls[key]
	if !ok {
		c = &memoCall{}
		m.calls[key] = c
	}
	m.mu.Unlock()
	c.once.Do(func() { c.ok, c.err = f() })
	return c.ok, c.err
}

// IsTeamMember implements Directory.
func (m *memoDirectory) IsTeamMember(ctx context.Context, slug, login string) (bool, error) {
	return m.do("team\x00"+slug+"\x00"+strings.ToLower(login), func() (bool, error) { return m.dir.IsTeamMember(ctx, slug, login) })
}

// CanWrite implements Directory.
func (m *memoDirectory) CanWrite(ctx context.Context, login string) (bool, error) {
	return m.do("write\x00"+strings.ToLower(login), func() (bool, error) { return m.dir.CanWrite(ctx, login) })
}
