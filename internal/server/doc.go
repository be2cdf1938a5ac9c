// Package server is the GitHub App webhook server (`modelpromote serve`):
// a thin adapter that turns GitHub's webhook deliveries into calls of the
// same check and apply the CLI and the Action make. It holds no business
// rule; what it adds is delivery: authentication, deduplication, a bounded
// queue, serialization, reconciliation, a lease between replicas, and
// operations (health, metrics, logs, graceful shutdown).
//
// # Deliveries
//
// POST /webhook first bounds the body and verifies X-Hub-Signature-256
// (HMAC-SHA256 of the raw body, compared in constant time by go-github's
// ValidatePayloadFromBody); a missing or wrong signature is answered 401
// before the body is parsed or anything is queued. A valid delivery is
// deduplicated by X-GitHub-Delivery (a redelivery carries the same ID),
// routed to a job, queued, and answered 202 at once; the work runs on a
// worker. When the queue is full the answer is 503, the delivery ID is
// forgotten, and GitHub shows the failure (a redelivery is then accepted).
// When a job fails (an error, not a skip or a refusal), the IDs of every
// delivery it did are forgotten too, so that GitHub's Redeliver runs it
// again; the log line of the failure names them.
//
// A job runs as the installation the App API gives for its repository
// (GET /repos/{owner}/{repo}/installation), not as the one its delivery
// names: a delivery naming another installation than the one known is
// confirmed first, and the repository is remembered for reconciliation
// only with the App API's answer. A repository the App is not installed
// on is skipped and not remembered.
//
// Routing is package route's, the same the Action uses:
//
//	pull_request opened, synchronize, reopened, ready_for_review   check
//	pull_request_review submitted, dismissed                       check
//	pull_request closed with merged (into the default branch)      apply
//	push to the default branch                                     apply of the pull request merged as that commit
//	issue_comment created on a pull request: /modelpromote recheck check, if the author can write to the repository
//	issue_comment created on a pull request: /modelpromote plan    check (the report shows the plan; nothing is applied)
//	check_run rerequested (the modelpromote check)                 check
//	merge_group checks_requested                                   check of the queued pull request at the queue's commit (check.Queue)
//
// Events the App itself caused (sender is its bot user), slash commands
// from bots, merges the router refuses (a fork, another base branch:
// apply would refuse them too), repositories outside the allow-list, and
// repositories without the promotions configuration on their default
// branch are ignored.
//
// # Serialization
//
// A job has a key and a lane. Jobs with the same key coalesce: a check of
// a pull request waiting in the queue absorbs later events for it, and one
// arriving while that check runs makes it run once more afterwards; an
// apply of a merge commit absorbs the other event of the same merge (the
// closed pull request and the push). Jobs in one lane run one at a time:
// checks per pull request, applies per repository. Within one apply, the
// apply core itself runs the promotions to one endpoint one after another.
//
// # Replicas
//
// Several replicas may run behind one webhook URL; each delivery reaches
// one of them, but the two events of a merge may reach two, and
// reconciliation runs on all. Apply's idempotency makes a second run
// harmless but not free, so an apply in flight is made visible to every
// replica as a GitHub deployment, the lease:
//
//   - Before applying merge commit C, a replica lists the lease deployments
//     (task "lock:modelpromote") on C. If one ended "success", C was
//     applied: skip. If apply says C is in progress (apply.Status: one of
//     its own deployments on C is unfinished and fresh) by someone other
//     than this App (the Action, the CLI), skip.
//   - Otherwise it creates its own lease deployment on C, marks it
//     in_progress, and lists the leases again. The lease with the lowest
//     ID among the live ones wins; a live lease is in_progress (or not yet
//     marked) and was updated within the lease duration (default 15
//     minutes). A loser marks its lease inactive and skips.
//   - The winner renews its lease (a new in_progress status) every third
//     of the lease duration while it applies, and ends it "success" when
//     apply ran to a result (applied, failed or refused: all reported on
//     the pull request) or "error" when apply could not run, so that
//     reconciliation tries again.
//   - A lease not renewed within the lease duration is stale (its replica
//     died) and no longer counts: the next replica takes over, and apply's
//     idempotency finishes the work.
//
// Lease statuses never set auto_inactive, so a later merge does not turn
// an earlier merge's finished lease back into "not applied". Freshness
// compares GitHub's timestamps with the replica's clock; keep clocks in
// sync (NTP) and the lease well above any skew.
//
// # Reconciliation
//
// Deliveries get lost (GitHub does not retry) and a replica can stop with
// work queued. Every reconcile interval, and once at start, the server
// lists each known repository's open pull requests and checks those whose
// latest modelpromote check run on the head is missing, stuck in progress
// beyond the lease, or older than a review; checks the merge queue's
// commits into the default branch (its gh-readonly-queue branches) that
// have no modelpromote check run, or one stuck beyond the lease; and lists pull requests
// merged into the default branch within the reconcile window and applies
// those with neither a finished lease nor a finished apply (apply.Status). Known
// repositories are the allow-list's exact names and every repository a
// delivery came from whose installation the App API confirmed.
package server
