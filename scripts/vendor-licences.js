// `node scripts/vendor-licences.js PACKAGE` prints the licence notice of an npm package bundled into
// api/static/vendor/ (make vendor): the package's own licence and that of every package it depends on,
// recursively (what its bundle may hold), each with its licence file where the package ships one.
// For packages that ship none (the YASGUI packages), the licence their package.json declares.
"use strict";
const fs = require("fs");
const path = require("path");

const MIT = `Permission is hereby granted, free of charge, to any person obtaining a copy of this software
and associated documentation files (the "Software"), to deal in the Software without restriction,
including without limitation the rights to use, copy, modify, merge, publish, distribute,
sublicense, and/or sell copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or
substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT
NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES
OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN
CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.`;

function directory(name) {
  return path.join(__dirname, "..", "node_modules", name);
}

function manifest(name) {
  return JSON.parse(fs.readFileSync(path.join(directory(name), "package.json"), "utf8"));
}

function bundled(name, seen = new Set()) {
  if (seen.has(name) || !fs.existsSync(directory(name))) { return seen; }
  seen.add(name);
  Object.keys(manifest(name).dependencies || {}).forEach((dependency) => bundled(dependency, seen));
  return seen;
}

function person(p) {
  return typeof p === "string" ? p : [p.name, p.email && `<${p.email}>`].filter(Boolean).join(" ");
}

function notice(name) {
  const pkg = manifest(name);
  const licence = pkg.license || (pkg.licenses || []).map((l) => l.type).join(" OR ") || "not stated";
  const people = [pkg.author, ...(pkg.contributors || [])].filter(Boolean).map(person).join(", ");
  const lines = [`${name} ${pkg.version}: ${licence}`];
  if (people) { lines.push(`Authors: ${people}`); }
  const file = fs.readdirSync(directory(name)).find((f) => /^(licen[cs]e|copying)(\.(md|txt))?$/i.test(f));
  if (file) {
    lines.push("", fs.readFileSync(path.join(directory(name), file), "utf8").trim());
  } else if (licence === "MIT") {
    lines.push("", "The package ships no licence file; its package.json declares the MIT License:", "", MIT);
  } else {
    lines.push("", "The package ships no licence file; its package.json declares the licence above.");
  }
  return lines.join("\n");
}

const root = process.argv[2];
if (!root) {
  console.error("usage: node scripts/vendor-licences.js PACKAGE");
  process.exit(2);
}
const names = [root, ...[...bundled(root)].filter((n) => n !== root).sort()];
console.log(`Licences of ${root} and of the ${names.length - 1} packages it depends on, which its bundle may hold (from npm).\n`);
console.log(names.map(notice).join("\n\n" + "-".repeat(100) + "\n\n"));
