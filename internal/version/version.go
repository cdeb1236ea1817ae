// Package version names what this build of payd speaks.
package version

// APIVersion is the Stripe API version whose shapes payd's responses follow.
const APIVersion = "2026-08-26.dahlia"

// Version is payd's own release, set at link time with
// -ldflags "-X github.com/payd/payd/internal/version.Version=…".
var Version = "dev"
