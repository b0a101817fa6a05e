// Package query parses Stylelab's run query language and compiles it to SQL
// over the experiment store's schema, with every user value, parameter key
// and metric key a bound argument.
//
//	params.ratio <= 1e-3 and params.style_layers = "conv1_1,conv2_1"
//	    and metrics.style < 1e4 order by metrics.style limit 10
//	status = "FAILED" or (tag = "fig3" and not name like "%draft%")
//	metrics.style/conv1_1.min < 0.5 order by started desc
//
// Fields are run fields (id name experiment status started ended duration
// host commit version seed pid message error weights hash uuid), params.KEY,
// metrics.KEY (the last value), metrics.KEY.min, metrics.KEY.max and tag.
// Keys with dots or spaces are quoted: params."a b". A mistake is an *Error
// that points at the offending token.
//
// The SQL is written for a Dialect: SQLite (the embedded store) or
// Postgres (a store shared by many machines), with the same meaning in both.
package query
