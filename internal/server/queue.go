package server

import (
	"errors"
	"sync"

	"github.com/modelpromote/modelpromote/internal/route"
)

var (
	errQueueFull   = errors.New("queue full")
	errQueueClosed = errors.New("queue closed")
)

// queue holds jobs waiting for a worker: bounded, coalescing by key, and
// running one job per lane at a time. A job waiting behind a busy lane
// waits in the lane, not in a worker.
type queue struct {
	mu      sync.Mutex
	cond    *sync.Cond
	limit   int
	waiting int                   // jobs queued, not running
	pending map[string]*route.Job // key → queued job
	running map[string]*runKey    // key → running job
	// absorbed are the deliveries a queued job absorbed besides its own
	// (Job.Delivery is the latest): when the job fails, each of them is
	// forgotten, so that a redelivery of any runs it again.
	absorbed map[*route.Job][]string
	lanes    map[string]*lane
	ready    []*lane // lanes with jobs and nothing running
	closed   bool
	busy     int // jobs running
}

type lane struct {
	name  string
	jobs  []*route.Job
	busy  bool
	queue bool // in ready
}

type runKey struct {
	again    *route.Job // a job to run once more when this one ends (checks)
	absorbed []string   // deliveries this run does besides its own
}

// maxAbsorbed bounds the deliveries remembered per job; beyond it the
// oldest are not forgotten when the job fails (their redelivery is then
// a duplicate, and the latest delivery's is not).
const maxAbsorbed = 32

func newQueue(limit int) *queue {
	q := &queue{limit: limit, pending: map[string]*route.Job{}, running: map[string]*runKey{}, lanes: map[string]*lane{},
		absorbed: map[*route.Job][]string{}}
	q.cond = sync.NewCond(&q.mu)
	return q
}

// push queues j. It reports whether j coalesced with a job already
// queued or running, and fails when the queue is full or closed.
func (q *queue) push(j route.Job) (coalesced bool, err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return false, errQueueClosed
	}
	k := jobKey(j)
	if p, ok := q.pending[k]; ok {
		q.absorb(p, &j)
		return true, nil
	}
	if r, ok := q.running[k]; ok {
		if j.Command == route.Apply {
			r.absorbed = addDelivery(r.absorbed, j.Delivery) // the running apply does this merge
			return true, nil
		}
		if r.again == nil {
			r.again = &j
		} else {
			q.absorb(r.again, &j)
		}
		return true, nil
	}
	if q.waiting >= q.limit {
		return false, errQueueFull
	}
	q.enqueue(&j, false)
	return false, nil
}

// absorb merges j into the queued job p: a plain event outranks a slash
// command, whose author's permission might not hold. p takes j's
// delivery and keeps its own, and those j absorbed, in q.absorbed.
func (q *queue) absorb(p, j *route.Job) {
	if j.Commenter == "" {
		p.Commenter = ""
	}
	if p.PR == 0 {
		p.PR = j.PR
	}
	ids := addDelivery(q.absorbed[p], p.Delivery)
	for _, id := range q.absorbed[j] {
		ids = addDelivery(ids, id)
	}
	delete(q.absorbed, j)
	if len(ids) > 0 {
		q.absorbed[p] = ids
	}
	p.Delivery, p.Event = j.Delivery, j.Event
}

// addDelivery appends id (none for reconciliation's jobs) within
// maxAbsorbed, dropping the oldest.
func addDelivery(ids []string, id string) []string {
	if id == "" {
		return ids
	}
	if len(ids) >= maxAbsorbed {
		ids = ids[1:]
	}
	return append(ids, id)
}

// enqueue adds j to its lane; callers hold q.mu.
func (q *queue) enqueue(j *route.Job, front bool) {
	name := jobLane(*j)
	l := q.lanes[name]
	if l == nil {
		l = &lane{name: name}
		q.lanes[name] = l
	}
	if front {
		l.jobs = append([]*route.Job{j}, l.jobs...)
	} else {
		l.jobs = append(l.jobs, j)
	}
	q.pending[jobKey(*j)] = j
	q.waiting++
	q.wake(l)
}

func (q *queue) wake(l *lane) {
	if !l.busy && !l.queue && len(l.jobs) > 0 {
		l.queue = true
		q.ready = append(q.ready, l)
		q.cond.Signal()
	}
}

// pop waits for a job whose lane is free and marks it running; ok is
// false once the queue is closed.
func (q *queue) pop() (route.Job, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.ready) == 0 && !q.closed {
		q.cond.Wait()
	}
	if q.closed {
		return route.Job{}, false
	}
	l := q.ready[0]
	q.ready = q.ready[1:]
	l.queue = false
	j := l.jobs[0]
	l.jobs = l.jobs[1:]
	l.busy = true
	k := jobKey(*j)
	delete(q.pending, k)
	q.running[k] = &runKey{absorbed: q.absorbed[j]}
	delete(q.absorbed, j)
	q.waiting--
	q.busy++
	return *j, true
}

// done ends j: its lane frees, and a check asked for again while it ran
// is queued at the lane's front. It returns the deliveries j's run did
// besides j.Delivery (those it absorbed).
func (q *queue) done(j route.Job) (absorbed []string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	k := jobKey(j)
	r := q.running[k]
	delete(q.running, k)
	q.busy--
	l := q.lanes[jobLane(j)]
	l.busy = false
	if r != nil {
		absorbed = r.absorbed
	}
	if r != nil && r.again != nil && !q.closed {
		if p, ok := q.pending[k]; ok {
			q.absorb(p, r.again)
		} else {
			q.enqueue(r.again, true)
		}
	}
	if len(l.jobs) > 0 {
		q.wake(l)
	} else {
		delete(q.lanes, l.name)
	}
	return absorbed
}

// close stops pop; it returns how many queued jobs are left undone.
func (q *queue) close() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	q.cond.Broadcast()
	return q.waiting
}

// depth is the number of jobs queued and running.
func (q *queue) depth() (waiting, running int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.waiting, q.busy
}
