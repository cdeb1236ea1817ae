// Package web holds payd's hosted pages: the HTML templates the checkout
// and payment link pages are rendered from, embedded in the binary so the
// pages need no files and load no external assets.
package web

import (
	"embed"
	"html/template"
)

//go:embed templates/*.html
var files embed.FS

// Templates are the parsed page templates, by file name.
var Templates = template.Must(template.New("").Funcs(template.FuncMap{
	"add": func(a, b int) int { return a + b },
}).ParseFS(files, "templates/*.html"))
