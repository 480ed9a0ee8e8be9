package kag

import "encoding/json"

// Verdict is one verdict record, decoded from the library's JSON
// (kag_verdict_json); JSON keeps the record as the library wrote it, with
// keys this struct does not name.
type Verdict struct {
	Detector   string   `json:"detector"`
	Assessment string   `json:"assessment"` // benign, suspicious, malicious, needs_context
	Outcome    string   `json:"outcome"`    // allowed, denied, in_progress, error, unknown
	Severity   string   `json:"severity"`   // info, low, medium, high, critical
	Confidence string   `json:"confidence"` // low, medium, high
	Attack     []string `json:"attack"`
	Reason     string   `json:"reason"`
	Event      Event    `json:"event"`
	// Evidence keeps the audit fields under their native names and shapes.
	Evidence    json.RawMessage `json:"evidence"`
	Missing     []string        `json:"missing"`
	Inferred    []string        `json:"inferred"`
	Correlation *Correlation    `json:"correlation,omitempty"`

	JSON []byte `json:"-"`
}

// Event identifies the audit event a verdict is about.
type Event struct {
	AuditID string `json:"auditID"`
	Stage   string `json:"stage"`
	Level   string `json:"level"`
	Time    string `json:"time"`
	Format  string `json:"format"`
	Source  string `json:"source"` // "file.jsonl:12"; "" when the input had no name
}

// Correlation is present on verdicts drawn from several events.
type Correlation struct {
	Count    uint64   `json:"count"`
	First    string   `json:"first"`
	Last     string   `json:"last"`
	Distinct []string `json:"distinct"`
}

// EvidenceMap decodes the evidence object.
func (v *Verdict) EvidenceMap() (map[string]interface{}, error) {
	var m map[string]interface{}
	err := json.Unmarshal(v.Evidence, &m)
	return m, err
}
