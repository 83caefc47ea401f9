package trainer

import (
	"testing"

	"github.com/spag-go/spag/rl/train"
)

func TestSamplesPerQuery(t *testing.T) {
	ex := func(item int, adv bool) train.Example { return train.Example{Item: item, Adversarial: adv} }
	tests := []struct {
		data []train.Example
		want int
	}{
		{[]train.Example{ex(0, true), ex(0, true), ex(0, true), ex(1, true), ex(1, true)}, 2},
		{[]train.Example{ex(0, false), ex(0, false), ex(0, false)}, 1},
		{nil, 1},
	}
	for _, tt := range tests {
		if got := samplesPerQuery(tt.data); got != tt.want {
			t.Errorf("samplesPerQuery(%v) = %d, want %d", tt.data, got, tt.want)
		}
	}
}
