package stock

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// The cases of InvenTree's TestSerialNumberExtraction (InvenTree/tests.py), with the
// "starting value" argument as the latest existing serial.
func TestExtractSerialNumbers(t *testing.T) {
	seq := func(from, to int) []string {
		var out []string
		for i := from; i <= to; i++ {
			out = append(out, itoa(i))
		}
		return out
	}
	tests := []struct {
		expr   string
		qty    int
		latest string
		want   []string
	}{
		{"1-5", 5, "1", seq(1, 5)},
		{"11-30", 20, "1", seq(11, 30)},
		{"1, 2, 3, 4, 5", 5, "1", seq(1, 5)},
		{"1, 2, 4+", 5, "1", []string{"1", "2", "4", "5", "6"}},
		{"1, 2, 3, AF5-69H, 5", 5, "1", []string{"1", "2", "3", "AF5-69H", "5"}},
		{"1, 2, TG-4SR-92, 4+", 5, "1", []string{"1", "2", "TG-4SR-92", "4", "5"}},
		{"1 2 ~ ~ ~", 5, "2", seq(1, 5)},
		{"1+", 10, "1", seq(1, 10)},
		{"4, 1+2", 4, "1", []string{"4", "1", "2", "3"}},
		{"~", 1, "1", []string{"2"}},
		{"~", 1, "3", []string{"4"}},
		{"~+", 2, "4", []string{"5", "6"}},
		{"~+3", 4, "4", []string{"5", "6", "7", "8"}},
		{"1 3-5 9+2", 7, "1", []string{"1", "3", "4", "5", "9", "10", "11"}},
		{"1,3-5,9+2", 7, "1", []string{"1", "3", "4", "5", "9", "10", "11"}},
		{"~+2", 3, "13", []string{"14", "15", "16"}},
		{"~+", 2, "13", []string{"14", "15"}},
		{"11-20, 41-50, 91-100", 30, "1", append(append(seq(11, 20), seq(41, 50)...), seq(91, 100)...)},
		// A tree without serial numbers starts "~" at 2, as InvenTree does.
		{"~", 1, "", []string{"2"}},
		{"A001-A003", 3, "", []string{"A001", "A002", "A003"}},
		{"  7  ", 1, "", []string{"7"}},
	}
	for _, tc := range tests {
		got, err := ExtractSerialNumbers(tc.expr, tc.qty, tc.latest)
		if err != nil {
			t.Errorf("%q (%d): %v", tc.expr, tc.qty, err)
			continue
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%q (%d) = %v, want %v", tc.expr, tc.qty, got, tc.want)
		}
	}
	// "~+4, 20+4, 30+4" with latest 10 gives 15 serials including 14, 24, 34.
	got, err := ExtractSerialNumbers("~+4, 20+4, 30+4", 15, "10")
	if err != nil || len(got) != 15 || !slices.Contains(got, "14") || !slices.Contains(got, "24") || !slices.Contains(got, "34") {
		t.Errorf("multiple increment groups = %v, %v", got, err)
	}
}

func TestExtractSerialNumbersErrors(t *testing.T) {
	tests := []struct {
		expr    string
		qty     int
		message string // contained in one of the messages
		onQty   bool
	}{
		{"1,2,3,3,3", 5, "Duplicate serial: 3", false},
		{"1,2,3", 5, "Number of unique serial numbers (3) must match quantity (5)", false},
		{"1-20", 10, "Group range 1-20 exceeds allowed quantity (10)", false},
		{", , ,", 0, "No serial numbers found", false},
		{"", 3, "Empty serial number string", false},
		{"   ", 3, "Empty serial number string", false},
		{"10-2", 8, "exceeds allowed quantity (8)", false},
		{"1-5-10", 10, "Number of unique serial numbers (1) must match quantity (10)", false},
		{"10, a, 7-70j", 4, "Group range 7-70j exceeds allowed quantity (4)", false},
		{"1, 2, 3, E-5", 5, "Invalid group: E-5", false},
		{"11-50", 10, "Group range 11-50 exceeds allowed quantity (10)", false},
		{"1, A-2, 3+", 5, "Invalid group: A-2", false},
		{"5-5", 2, "Invalid group: 5-5", false},
		{"1+x", 3, "Invalid group: 1+x", false},
		{"1+2+3", 3, "Invalid group: 1+2+3", false},
		{"1-1001", 1001, "Cannot serialize more than 1000 items at once", true},
	}
	for _, tc := range tests {
		got, err := ExtractSerialNumbers(tc.expr, tc.qty, "1")
		var se *SerialError
		if !errors.As(err, &se) {
			t.Errorf("%q (%d) = %v, %v; want a SerialError", tc.expr, tc.qty, got, err)
			continue
		}
		if !strings.Contains(strings.Join(se.Messages, "|"), tc.message) || se.OnQuantity != tc.onQty {
			t.Errorf("%q (%d): messages %q (on quantity %v), want %q (%v)", tc.expr, tc.qty, se.Messages, se.OnQuantity, tc.message, tc.onQty)
		}
	}
}

func TestIncrementSerial(t *testing.T) {
	tests := map[string]string{
		"": "1", "1": "2", "001": "002", "009": "010", "99": "100", "AB01": "AB02",
		"QQQ": "QQQ", " 7 ": "8", "A1B2": "A1B3", "123456789012345678901234567890": "123456789012345678901234567891",
	}
	for in, want := range tests {
		if got := IncrementSerial(in); got != want {
			t.Errorf("IncrementSerial(%q) = %q, want %q", in, got, want)
		}
	}
}

// The cases of InvenTree's test_big_serials (stock/tests.py) and extract_int.
func TestSerialInt(t *testing.T) {
	tests := map[string]int64{
		"12345": 12345, " 12345 ": 12345, "-123": 123, "+42": 42,
		"99999999999999999999999999999999999999999999999999999": 0x7FFFFFFF,
		"apple": 0, "banana": 0, "": 0, "0x1F": 31, "12AB": 12, "AB34": 34, "A1B": 0,
		"1_000": 1000, "100": 100, " 57": 57,
		"-99999999999999999999": 0,
	}
	for in, want := range tests {
		if got := SerialInt(in); got != want {
			t.Errorf("SerialInt(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestStreamKeys(t *testing.T) {
	if got := SerialStream(7, "SN-001"); got != "stockserial-7-SN-001" {
		t.Errorf("plain serial stream = %q", got)
	}
	odd := SerialStream(7, "a b/c")
	if !strings.HasPrefix(odd, "stockserial-7-_") || len(odd) != len("stockserial-7-_")+64 {
		t.Errorf("encoded serial stream = %q", odd)
	}
	if SerialStream(7, "a b/c") != odd || SerialStream(7, "a b/d") == odd {
		t.Error("encoding is not a function of the serial")
	}
	if SerialStream(7, "_x") == SerialStream(7, "x") {
		t.Error("'_x' and 'x' share a stream")
	}
	if LocationNameStream(0, "Shelf 1") == LocationNameStream(1, "Shelf 1") {
		t.Error("names under different parents share a stream")
	}
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}
