package charge

import (
	"testing"

	"github.com/payd/payd/internal/testutil/jsoncheck"
)

func TestMarshal_AgreesWithEncodingJSON(t *testing.T) {
	jsoncheck.Agrees(t, marshal)
}
