package kpi

import (
	"fmt"
	"strconv"
)

// What makes an item count as estimated in field_completeness (G1,
// field=estimate), the knob kpi.estimated_by. kpis.md C9 has two estimates:
// story points (Scrum, AgileEVM) and the original estimate in time
// (effort, EVM hours); a team may plan with either, and the worked example
// C (§4.3) counts tasks estimated in hours only, so the default accepts
// either. A team that plans in points and logs hours for other reasons sets
// story_points; an effort-tracking team sets original_estimate. A value of
// 0 counts as set (someone estimated it).
const (
	EstimatedByEither           = "either"
	EstimatedByStoryPoints      = "story_points"
	EstimatedByOriginalEstimate = "original_estimate"
)

// estimatedByModes are the accepted values of kpi.estimated_by.
var estimatedByModes = []string{EstimatedByEither, EstimatedByStoryPoints, EstimatedByOriginalEstimate}

// estimatedBy says whether an item with these estimates (nil: not set)
// counts as estimated under mode, naming the field(s) that made it count
// (or what it lacks) for pmo kpi explain field_completeness. It is the Go
// twin of the estimate_set predicate of models/populations.sql;
// TestEstimatedBy checks that the two agree.
func estimatedBy(mode string, points *float64, originalSeconds *int64) (bool, string) {
	sp, oe := "", ""
	if points != nil {
		sp = "story points " + strconv.FormatFloat(*points, 'f', -1, 64)
	}
	if originalSeconds != nil {
		oe = "original estimate " + strconv.FormatFloat(float64(*originalSeconds)/3600, 'f', -1, 64) + " h"
	}
	switch mode {
	case EstimatedByStoryPoints:
		if sp != "" {
			return true, "estimated by " + sp
		}
		if oe != "" {
			return false, "not estimated: no story points (" + oe + " does not count with estimated_by: story_points)"
		}
		return false, "not estimated: no story points"
	case EstimatedByOriginalEstimate:
		if oe != "" {
			return true, "estimated by " + oe
		}
		if sp != "" {
			return false, "not estimated: no original estimate (" + sp + " does not count with estimated_by: original_estimate)"
		}
		return false, "not estimated: no original estimate"
	}
	switch {
	case sp != "" && oe != "":
		return true, "estimated by " + sp + " and " + oe
	case sp != "":
		return true, "estimated by " + sp
	case oe != "":
		return true, "estimated by " + oe
	}
	return false, "not estimated: neither story points nor an original estimate"
}

// validEstimatedBy reports a bad kpi.estimated_by value with its key path.
func validEstimatedBy(p, mode string) error {
	for _, m := range estimatedByModes {
		if mode == m {
			return nil
		}
	}
	return fmt.Errorf("%s.estimated_by: %q is not a way to count an item as estimated; use %s (default), %s or %s",
		p, mode, EstimatedByEither, EstimatedByStoryPoints, EstimatedByOriginalEstimate)
}
