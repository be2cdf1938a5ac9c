// Package attack holds the governance attack tests: each tries, as someone
// with write access to the promotions repository (and, where a test says so,
// some access in an AWS account), to get a promotion applied that the policy
// forbids, or a gate to pass that should fail, and asserts that the attempt
// is stopped, that the pull request is told why, and that nothing changed in
// any account. docs/SECURITY.md maps each attack class to its control and
// its test. The package has no code of its own: only its tests.
package attack
