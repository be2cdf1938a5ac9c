package manifest

// BreakGlassLabel is the pull request label that asks for break-glass.
// GitHub lets only people with triage access or more set labels; the check
// reads who set it from the issue timeline and verifies their permission.
const BreakGlassLabel = "modelpromote:break-glass"

// BreakGlass is a stage's incident path: a pull request labelled
// BreakGlassLabel is judged with the timing gates waived (soak, the `after`
// stage, regression bounds), never approvals, lineage or integrity, and
// needs Approvals approvals on its head commit from Approvers on top of
// the stage's own.
type BreakGlass struct {
	// Approvers are the users and "team:slug" entries who may approve a
	// break-glass promotion.
	Approvers []string `yaml:"approvers" json:"approvers"`
	// Approvals is how many of them must approve (at least 1).
	Approvals int `yaml:"approvals" json:"approvals"`
}

// checkBreakGlass validates a stage's breakGlass and rollbackApprovals.
func checkBreakGlass(c *checker, field string, sp StagePolicy) {
	f := func(name string) string { return field + "." + name }
	if sp.RollbackApprovals < 0 {
		c.at(f("rollbackApprovals"), "%s must not be negative (0 means the stage's approvals)", f("rollbackApprovals"))
	}
	if users := onlyUsers(sp.Approvers); users > 0 && users == len(sp.Approvers) && sp.RollbackApprovals > users {
		c.at(f("rollbackApprovals"), "%s is %d but only %d approvers are listed: the gate could never open", f("rollbackApprovals"), sp.RollbackApprovals, users)
	}
	bg := sp.BreakGlass
	if bg == nil {
		return
	}
	bf := func(name string) string { return f("breakGlass." + name) }
	if len(bg.Approvers) == 0 {
		c.atKey(bf("approvers"), "%s is required: who may approve a break-glass promotion", bf("approvers"))
	}
	checkPrincipals(c, bf("approvers"), bg.Approvers)
	if bg.Approvals < 1 {
		c.atKey(bf("approvals"), "%s must be at least 1: break-glass waives timing, never approvals", bf("approvals"))
	}
	if users := onlyUsers(bg.Approvers); users > 0 && users == len(bg.Approvers) && bg.Approvals > users {
		c.at(bf("approvals"), "%s is %d but only %d approvers are listed: the gate could never open", bf("approvals"), bg.Approvals, users)
	}
}
