package s3

import "os"

// Data files are immutable and may be shared by several objects and parts
// (copies reuse their source's segments). When an object, part or upload
// goes away its files become candidates; they are removed once no request is
// in flight (so none can still be reading or copying them) and nothing
// references them.

// beginRequest counts a request in flight.
func (s *Service) beginRequest() {
	s.mu.Lock()
	s.inflight++
	s.mu.Unlock()
}

// endRequest ends one and collects garbage when it was the last.
func (s *Service) endRequest() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inflight--
	if s.inflight == 0 {
		s.collectLocked()
	}
}

// discardLocked marks the files of segs as candidates. The caller holds
// s.mu.
func (s *Service) discardLocked(segs []segment) {
	for _, g := range segs {
		if !g.synthetic() {
			s.garbage[g.file] = true
		}
	}
}

// collectLocked removes candidate files nothing references. The caller
// holds s.mu and no request is in flight.
func (s *Service) collectLocked() {
	if len(s.garbage) == 0 {
		return
	}
	referenced := func(file string) bool {
		for _, b := range s.buckets {
			for _, o := range b.objects {
				for _, g := range o.segments {
					if g.file == file {
						return true
					}
				}
			}
		}
		for _, u := range s.uploads {
			for _, p := range u.parts {
				for _, g := range p.segments {
					if g.file == file {
						return true
					}
				}
			}
		}
		return false
	}
	for file := range s.garbage {
		if !referenced(file) {
			_ = os.Remove(file)
		}
		delete(s.garbage, file)
	}
}
