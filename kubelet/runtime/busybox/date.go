/*
Copyright The Ephemera Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package busybox

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

func init() { register("date", NoExec, date) }

// date prints the time as "Tue Dec  1 15:45:38 UTC 2026"; containers have
// no TZ and no /etc/localtime in the image, so local time is UTC.
func date(e *Env) int {
	// -I takes an optional attached argument (-Iseconds), which getopt32
	// spells "I::"; take it out before the other options are parsed.
	iso, isoSet := "", false
	args := []string{e.Args[0]}
	for _, a := range e.Args[1:] {
		if strings.HasPrefix(a, "-I") {
			iso, isoSet = a[2:], true
			continue
		}
		args = append(args, a)
	}
	e2 := *e
	e2.Args = args
	o, ok := e2.getopt("Rs:ud:D:r:", "rfc-2822", "set=", "utc", "date=", "reference=")
	if !ok {
		return 1
	}
	now := e.Sys.Now().UTC()
	if o.Has('s') {
		if _, ok := parseDate(o.Arg['s'], now); !ok {
			e.Errorf("invalid date '%s'", o.Arg['s'])
			return 1
		}
		e.Errorf("can't set date: %s", "Operation not permitted")
		return 1
	}
	if o.Has('d') {
		t, ok := parseDate(o.Arg['d'], now)
		if !ok {
			e.Errorf("invalid date '%s'", o.Arg['d'])
			return 1
		}
		now = t
	}
	if o.Has('r') {
		info, err := e.Sys.FS().Stat(e.Sys.Caller(), o.Arg['r'])
		if err != nil {
			e.PathError(o.Arg['r'], err)
			return 1
		}
		now = info.ModTime().UTC()
	}
	format := "%a %b %e %H:%M:%S %Z %Y"
	switch {
	case o.Has('R'):
		format = "%a, %d %b %Y %H:%M:%S %z"
	case isoSet:
		switch iso {
		case "", "date":
			format = "%Y-%m-%d"
		case "hours":
			format = "%Y-%m-%dT%H%:z"
		case "minutes":
			format = "%Y-%m-%dT%H:%M%:z"
		case "seconds":
			format = "%Y-%m-%dT%H:%M:%S%:z"
		default:
			e.Errorf("invalid argument '%s' for '%s'", iso, "-I")
			return 1
		}
	}
	for _, op := range o.Operands {
		if strings.HasPrefix(op, "+") {
			format = op[1:]
		} else {
			e.Errorf("invalid date '%s'", op)
			return 1
		}
	}
	fmt.Fprintln(e.Stdout, strftime(format, now))
	return 0
}

// parseDate reads the forms busybox's parse_datestr accepts that a
// debugging session uses: @SECONDS, YYYY-MM-DD[ hh:mm[:ss]], hh:mm[:ss].
func parseDate(s string, now time.Time) (time.Time, bool) {
	if strings.HasPrefix(s, "@") {
		n, err := strconv.ParseInt(s[1:], 10, 64)
		if err != nil {
			return time.Time{}, false
		}
		return time.Unix(n, 0).UTC(), true
	}
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02", "2006-01-02T15:04:05", "2006.01.02-15:04:05", "2006.01.02-15:04"} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t, true
		}
	}
	for _, layout := range []string{"15:04:05", "15:04"} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return time.Date(now.Year(), now.Month(), now.Day(), t.Hour(), t.Minute(), t.Second(), 0, time.UTC), true
		}
	}
	return time.Time{}, false
}

// strftime formats t as the C library's strftime in the C locale.
func strftime(format string, t time.Time) string {
	var b strings.Builder
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' || i+1 == len(format) {
			b.WriteByte(c)
			continue
		}
		i++
		switch format[i] {
		case 'a':
			b.WriteString(t.Format("Mon"))
		case 'A':
			b.WriteString(t.Format("Monday"))
		case 'b', 'h':
			b.WriteString(t.Format("Jan"))
		case 'B':
			b.WriteString(t.Format("January"))
		case 'c':
			b.WriteString(strftime("%a %b %e %H:%M:%S %Y", t))
		case 'C':
			fmt.Fprintf(&b, "%02d", t.Year()/100)
		case 'd':
			fmt.Fprintf(&b, "%02d", t.Day())
		case 'D':
			b.WriteString(strftime("%m/%d/%y", t))
		case 'e':
			fmt.Fprintf(&b, "%2d", t.Day())
		case 'F':
			b.WriteString(strftime("%Y-%m-%d", t))
		case 'H':
			fmt.Fprintf(&b, "%02d", t.Hour())
		case 'I':
			fmt.Fprintf(&b, "%02d", (t.Hour()+11)%12+1)
		case 'j':
			fmt.Fprintf(&b, "%03d", t.YearDay())
		case 'k':
			fmt.Fprintf(&b, "%2d", t.Hour())
		case 'l':
			fmt.Fprintf(&b, "%2d", (t.Hour()+11)%12+1)
		case 'm':
			fmt.Fprintf(&b, "%02d", int(t.Month()))
		case 'M':
			fmt.Fprintf(&b, "%02d", t.Minute())
		case 'n':
			b.WriteByte('\n')
		case 'N':
			fmt.Fprintf(&b, "%09d", t.Nanosecond())
		case 'p':
			b.WriteString(t.Format("PM"))
		case 'P':
			b.WriteString(strings.ToLower(t.Format("PM")))
		case 'r':
			b.WriteString(strftime("%I:%M:%S %p", t))
		case 'R':
			b.WriteString(strftime("%H:%M", t))
		case 's':
			fmt.Fprintf(&b, "%d", t.Unix())
		case 'S':
			fmt.Fprintf(&b, "%02d", t.Second())
		case 't':
			b.WriteByte('\t')
		case 'T':
			b.WriteString(strftime("%H:%M:%S", t))
		case 'u':
			fmt.Fprintf(&b, "%d", (int(t.Weekday())+6)%7+1)
		case 'w':
			fmt.Fprintf(&b, "%d", int(t.Weekday()))
		case 'x':
			b.WriteString(strftime("%m/%d/%y", t))
		case 'X':
			b.WriteString(strftime("%H:%M:%S", t))
		case 'y':
			fmt.Fprintf(&b, "%02d", t.Year()%100)
		case 'Y':
			fmt.Fprintf(&b, "%d", t.Year())
		case 'z':
			b.WriteString(t.Format("-0700"))
		case ':':
			// %:z, the GNU extension busybox uses for -I.
			if i+1 < len(format) && format[i+1] == 'z' {
				i++
				b.WriteString(t.Format("-07:00"))
			} else {
				b.WriteString("%:")
			}
		case 'Z':
			b.WriteString(t.Format("MST"))
		case '%':
			b.WriteByte('%')
		default:
			b.WriteByte('%')
			b.WriteByte(format[i])
		}
	}
	return b.String()
}
