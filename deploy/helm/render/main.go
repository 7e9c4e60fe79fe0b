// Command render is a small stand-in for `helm template` + `helm lint --strict`, for machines
// where the helm binary cannot be installed but Debian's Go and sprig packages can.
//
// It renders a chart the way Helm does (Go text/template, the sprig functions Helm uses, plus
// Helm's include, tpl, required, toYaml, fromYaml, toJson and lookup, which finds nothing as in
// `helm template`), with missing map keys as errors like `helm lint --strict`. Then it checks
// what came out: every document parses as YAML without duplicate keys, names the apiVersion,
// kind and a DNS-safe metadata.name, no two objects share a kind and name, workload selectors
// match their pod labels, and every volume mount and named probe port points at something declared.
//
// Usage: render [-f extra-values.yaml]... [-notes] CHART_DIR   (manifests on stdout)
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig/v3"
	"sigs.k8s.io/yaml"
)

type valueFiles []string

func (v *valueFiles) String() string     { return strings.Join(*v, ",") }
func (v *valueFiles) Set(s string) error { *v = append(*v, s); return nil }

func main() {
	var extra valueFiles
	flag.Var(&extra, "f", "values file merged over the chart's values.yaml (repeatable)")
	notes := flag.Bool("notes", false, "also print the rendered NOTES.txt to stderr")
	namespace := flag.String("namespace", "gatehouse", "the release namespace (helm template --namespace)")
	flag.Parse()
	if flag.NArg() != 1 {
		fail("usage: render [-f values.yaml]... [-namespace NAME] [-notes] CHART_DIR")
	}
	out, err := render(flag.Arg(0), extra, *notes, *namespace)
	if err != nil {
		fail(err.Error())
	}
	if problems := check(out); len(problems) > 0 {
		fail("rendered manifests are invalid:\n  - " + strings.Join(problems, "\n  - "))
	}
	fmt.Print(out)
}

func fail(message string) {
	fmt.Fprintln(os.Stderr, "render:", message)
	os.Exit(1)
}

type chartMeta struct{ Name, Version, AppVersion string }

func render(dir string, extra []string, notes bool, namespace string) (string, error) {
	var meta struct {
		Name, Version string
		AppVersion    string `json:"appVersion"`
	}
	if err := readYaml(filepath.Join(dir, "Chart.yaml"), &meta); err != nil {
		return "", err
	}
	values := map[string]interface{}{}
	for _, file := range append([]string{filepath.Join(dir, "values.yaml")}, extra...) {
		layer := map[string]interface{}{}
		if err := readYaml(file, &layer); err != nil {
			return "", err
		}
		merge(values, layer)
	}
	root := map[string]interface{}{
		"Values":  values,
		"Chart":   chartMeta{meta.Name, meta.Version, meta.AppVersion},
		"Release": map[string]interface{}{"Name": "gatehouse", "Namespace": namespace, "Service": "Helm", "IsInstall": true, "IsUpgrade": false, "Revision": 1},
	}

	files, err := filepath.Glob(filepath.Join(dir, "templates", "*"))
	if err != nil {
		return "", err
	}
	sort.Strings(files)
	tpl := template.New("chart").Option("missingkey=error")
	tpl.Funcs(funcs(tpl))
	for _, file := range files {
		text, err := os.ReadFile(file)
		if err != nil {
			return "", err
		}
		if _, err := tpl.New(filepath.Base(file)).Parse(string(text)); err != nil {
			return "", err
		}
	}

	var out strings.Builder
	for _, file := range files {
		name := filepath.Base(file)
		if strings.HasPrefix(name, "_") || (name == "NOTES.txt" && !notes) {
			continue
		}
		var buf bytes.Buffer
		if err := tpl.ExecuteTemplate(&buf, name, root); err != nil {
			return "", err
		}
		if name == "NOTES.txt" {
			fmt.Fprint(os.Stderr, buf.String())
			continue
		}
		if strings.TrimSpace(buf.String()) != "" {
			fmt.Fprintf(&out, "---\n# Source: %s/templates/%s\n%s\n", meta.Name, name, strings.TrimSpace(buf.String()))
		}
	}
	return out.String(), nil
}

func readYaml(path string, into interface{}) error {
	text, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := yaml.Unmarshal(text, into); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// merge copies src over dst, recursing into maps; a null in src removes the key, as in Helm.
func merge(dst, src map[string]interface{}) {
	for key, value := range src {
		if value == nil {
			delete(dst, key)
			continue
		}
		srcMap, srcIsMap := value.(map[string]interface{})
		dstMap, dstIsMap := dst[key].(map[string]interface{})
		if srcIsMap && dstIsMap {
			merge(dstMap, srcMap)
		} else {
			dst[key] = value
		}
	}
}

// funcs is sprig's map (without env access, as in Helm) plus Helm's own functions.
func funcs(tpl *template.Template) template.FuncMap {
	f := sprig.TxtFuncMap()
	delete(f, "env")
	delete(f, "expandenv")
	f["toYaml"] = func(v interface{}) (string, error) {
		data, err := yaml.Marshal(v)
		return strings.TrimSuffix(string(data), "\n"), err
	}
	f["fromYaml"] = func(s string) (map[string]interface{}, error) {
		m := map[string]interface{}{}
		return m, yaml.Unmarshal([]byte(s), &m)
	}
	f["toJson"] = func(v interface{}) (string, error) {
		data, err := json.Marshal(v)
		return string(data), err
	}
	f["include"] = func(name string, data interface{}) (string, error) {
		var buf bytes.Buffer
		err := tpl.ExecuteTemplate(&buf, name, data)
		return buf.String(), err
	}
	f["tpl"] = func(text string, data interface{}) (string, error) {
		t, err := tpl.Clone()
		if err == nil {
			t, err = t.New("tpl").Parse(text)
		}
		if err != nil {
			return "", err
		}
		var buf bytes.Buffer
		err = t.Execute(&buf, data)
		return buf.String(), err
	}
	f["required"] = func(message string, v interface{}) (interface{}, error) {
		if v == nil || v == "" {
			return nil, fmt.Errorf("%s", message)
		}
		return v, nil
	}
	// `helm template` has no cluster to ask, so lookup finds nothing there either.
	f["lookup"] = func(apiVersion, kind, namespace, name string) map[string]interface{} {
		return map[string]interface{}{}
	}
	return f
}

var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$`)

type object struct {
	APIVersion string `json:"apiVersion"`
	Kind       string
	Metadata   struct{ Name string }
	Spec       struct {
		Selector struct {
			MatchLabels map[string]string `json:"matchLabels"`
		}
		Template struct {
			Metadata struct{ Labels map[string]string }
			Spec     podSpec
		}
	}
}

type podSpec struct {
	Volumes    []struct{ Name string }
	Containers []struct {
		Name         string
		Ports        []struct{ Name string }
		VolumeMounts []struct{ Name string } `json:"volumeMounts"`
	}
}

func check(manifests string) []string {
	var problems []string
	seen := map[string]bool{}
	docs := regexp.MustCompile(`(?m)^---\n`).Split(manifests, -1)
	for _, doc := range docs {
		if strings.TrimSpace(doc) == "" {
			continue
		}
		source := strings.TrimPrefix(strings.SplitN(doc, "\n", 2)[0], "# Source: ")
		raw, err := yaml.YAMLToJSONStrict([]byte(doc))
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", source, err))
			continue
		}
		var obj object
		if err := json.Unmarshal(raw, &obj); err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", source, err))
			continue
		}
		id := obj.Kind + "/" + obj.Metadata.Name
		switch {
		case obj.APIVersion == "" || obj.Kind == "":
			problems = append(problems, source+": apiVersion and kind are required")
		case len(obj.Metadata.Name) > 63 || !dnsLabel.MatchString(obj.Metadata.Name):
			problems = append(problems, fmt.Sprintf("%s: bad metadata.name %q", source, obj.Metadata.Name))
		case seen[id]:
			problems = append(problems, fmt.Sprintf("%s: %s is defined twice", source, id))
		}
		seen[id] = true
		if obj.Kind == "Deployment" || obj.Kind == "StatefulSet" {
			problems = append(problems, checkWorkload(source, obj, raw)...)
		}
	}
	return problems
}

func checkWorkload(source string, obj object, raw []byte) []string {
	var problems []string
	labels := obj.Spec.Template.Metadata.Labels
	if len(obj.Spec.Selector.MatchLabels) == 0 {
		problems = append(problems, source+": selector.matchLabels is empty")
	}
	for key, value := range obj.Spec.Selector.MatchLabels {
		if labels[key] != value {
			problems = append(problems, fmt.Sprintf("%s: selector %s=%s does not match the pod labels", source, key, value))
		}
	}
	volumes := map[string]bool{}
	for _, volume := range obj.Spec.Template.Spec.Volumes {
		volumes[volume.Name] = true
	}
	if obj.Kind == "StatefulSet" {
		var claims struct {
			Spec struct {
				VolumeClaimTemplates []struct{ Metadata struct{ Name string } } `json:"volumeClaimTemplates"`
			}
		}
		_ = json.Unmarshal(raw, &claims)
		for _, claim := range claims.Spec.VolumeClaimTemplates {
			volumes[claim.Metadata.Name] = true
		}
	}
	// Probes name ports; read them generically from the raw containers.
	var generic struct {
		Spec struct {
			Template struct {
				Spec struct{ Containers []map[string]interface{} }
			}
		}
	}
	_ = json.Unmarshal(raw, &generic)
	for i, container := range obj.Spec.Template.Spec.Containers {
		if container.Name == "" {
			problems = append(problems, fmt.Sprintf("%s: container %d has no name", source, i))
		}
		for _, mount := range container.VolumeMounts {
			if !volumes[mount.Name] {
				problems = append(problems, fmt.Sprintf("%s: container %s mounts undeclared volume %s", source, container.Name, mount.Name))
			}
		}
		ports := map[string]bool{}
		for _, port := range container.Ports {
			ports[port.Name] = true
		}
		for _, probe := range []string{"startupProbe", "livenessProbe", "readinessProbe"} {
			spec, _ := generic.Spec.Template.Spec.Containers[i][probe].(map[string]interface{})
			for _, handler := range []string{"httpGet", "tcpSocket"} {
				target, _ := spec[handler].(map[string]interface{})
				if port, named := target["port"].(string); named && !ports[port] {
					problems = append(problems, fmt.Sprintf("%s: %s of %s uses undeclared port %s", source, probe, container.Name, port))
				}
			}
		}
	}
	return problems
}
