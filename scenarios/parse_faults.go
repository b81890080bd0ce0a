package scenarios

import (
	"math"
	"strconv"

	"gopkg.in/yaml.v3"

	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/sessionapi"
)

// ---- faults ----

func (p *parser) faults(n *yaml.Node, path string, server int) {
	w := p.w
	w.list(n, path, func(_ int, n *yaml.Node, path string) {
		var f fake.Fault
		var hasStatus bool
		keys := map[string]keyFunc{
			"call": func(n *yaml.Node, path string) {
				if v, ok := w.str(n, path); ok {
					op, err := fake.ParseOp(v)
					if err != nil || v == "" {
						w.bad(n, path, "got %q; want enum, getinfo, del or any", v)
						return
					}
					f.Op = op
				}
			},
			"nth": func(n *yaml.Node, path string) {
				if v, ok := w.integer(n, path, 1, math.MaxInt32); ok {
					f.Nth = int(v)
				}
			},
			"every": func(n *yaml.Node, path string) { f.Every, _ = w.boolean(n, path) },
			"probability": func(n *yaml.Node, path string) {
				if !w.scalar(n, path, "a probability from 0 to 1") {
					return
				}
				v, err := strconv.ParseFloat(n.Value, 64)
				if err != nil || (n.Tag != "!!float" && n.Tag != "!!int") || !(v > 0 && v <= 1) {
					w.bad(n, path, "got %q; want a probability above 0 and at most 1", clip(n.Value))
					return
				}
				f.Probability = v
			},
			"seed": func(n *yaml.Node, path string) {
				if v, ok := w.integer(n, path, 0, math.MaxInt64); ok {
					f.Seed = uint64(v)
				}
			},
			"status": func(n *yaml.Node, path string) {
				f.Status, hasStatus = p.status(n, path)
			},
			"latency": func(n *yaml.Node, path string) { f.Latency, _ = w.duration(n, path) },
		}
		found := w.mapping(n, path, keys)
		if n.Kind != yaml.MappingNode {
			return
		}
		triggers := 0
		for _, k := range []string{"nth", "every", "probability"} {
			if found[k] != nil {
				triggers++
			}
		}
		switch {
		case triggers == 0:
			w.bad(n, path, "no trigger; want one of nth: N, every: true or probability: P")
		case triggers > 1:
			w.bad(n, path, "%d triggers; want exactly one of nth, every and probability", triggers)
		case found["every"] != nil && !f.Every:
			w.bad(found["every"], path+".every", "false; want every: true, or another trigger")
		}
		if found["seed"] != nil && found["probability"] == nil {
			w.bad(found["seed"], path+".seed", "only with probability:")
		}
		if (!hasStatus || f.Status == sessionapi.NERR_Success) && f.Latency == 0 && found["status"] == nil {
			w.bad(n, path, "neither status nor latency; want a status like RPC_S_SERVER_UNAVAILABLE, a latency, or both")
		} else if hasStatus && f.Status == sessionapi.NERR_Success && f.Latency == 0 {
			w.bad(found["status"], path+".status", "NERR_Success without latency does nothing; want a failure status or a latency")
		}
		p.spec.Servers[server].Faults = append(p.spec.Servers[server].Faults, f)
	})
}
