/**
 * F. Indentation: the first line's extra indentation is dropped when the editor already indented
 * the cursor line; a tab-indented file gets tabs; a Makefile recipe gets a tab; later lines keep
 * their indentation relative to the first.
 */
import { lines, runTable, type TableCase } from "./caseTable";

export const cases: TableCase[] = [
    // (1) The editor already indented the cursor line
    {
        name: "typescript: the first line's extra indentation is dropped",
        language: "typescript",
        doc: lines("function double(x: number): number {", "    ‸", "}", ""),
        raw: "    return x * 2;\n}",
        after: lines("function double(x: number): number {", "    return x * 2;", "}", ""),
    },
    {
        name: "javascript: the first line's extra indentation is dropped, later lines keep theirs",
        language: "javascript",
        doc: lines("function check(user) {", "    ‸", "}", ""),
        raw: '    if (!user) {\n        throw new Error("no user");\n    }\n    return user.id;\n}',
        after: lines("function check(user) {", "    if (!user) {", '        throw new Error("no user");', "    }", "    return user.id;", "}", ""),
    },
    {
        name: "python: the first line's extra indentation is dropped",
        language: "python",
        doc: lines("def area(w, h):", "    ‸", ""),
        raw: "    return w * h\n",
        after: lines("def area(w, h):", "    return w * h", ""),
    },
    {
        name: "python: the first line's extra indentation is dropped, the loop body keeps its depth",
        language: "python",
        doc: lines("def show(items):", "    ‸", ""),
        raw: "    for item in items:\n        print(item)\n",
        after: lines("def show(items):", "    for item in items:", "        print(item)", ""),
    },
    {
        name: "java: the first line's extra indentation is dropped",
        language: "java",
        doc: lines("class User {", "    private String name;", "", "    public String getName() {", "        ‸", "    }", "}", ""),
        raw: "        return name;\n    }",
        after: lines("class User {", "    private String name;", "", "    public String getName() {", "        return name;", "    }", "}", ""),
    },
    {
        name: "kotlin: the first line's extra indentation is dropped",
        language: "kotlin",
        doc: lines("fun main() {", "    ‸", "}", ""),
        raw: '    println("Hello")\n}',
        after: lines("fun main() {", '    println("Hello")', "}", ""),
    },
    {
        name: "ruby: the first line's extra indentation is dropped",
        language: "ruby",
        doc: lines("def greet(name)", "  ‸", "end", ""),
        raw: '  puts "Hello, #{name}"\nend',
        after: lines("def greet(name)", '  puts "Hello, #{name}"', "end", ""),
    },
    {
        name: "yaml: the first line's extra indentation is dropped, sibling keys keep theirs",
        language: "yaml",
        doc: lines("services:", "  web:", "    ‸", ""),
        raw: '    image: nginx:latest\n    ports:\n      - "80:80"\n',
        after: lines("services:", "  web:", "    image: nginx:latest", "    ports:", '      - "80:80"', ""),
    },
    {
        name: "shellscript: the first line's extra indentation is dropped",
        language: "shellscript",
        doc: lines('if [ -f "$CONFIG" ]; then', "  ‸", "fi", ""),
        raw: '  source "$CONFIG"\nfi',
        after: lines('if [ -f "$CONFIG" ]; then', '  source "$CONFIG"', "fi", ""),
    },

    // (2) and (4) Tab-indented files get tabs, depth kept
    {
        name: "python: tab-indented file gets tabs",
        language: "python",
        tabSize: 4,
        insertSpaces: false,
        doc: lines("def total(items):", "\tresult = 0", "\t‸", ""),
        raw: "for item in items:\n        result += item\n    return result\n",
        after: lines("def total(items):", "\tresult = 0", "\tfor item in items:", "\t\tresult += item", "\treturn result", ""),
    },
    {
        name: "python: tab-indented file gets tabs from column 0",
        language: "python",
        tabSize: 4,
        insertSpaces: false,
        doc: lines("class Greeter:", "\tdef greet(self, name):", "‸", ""),
        raw: '        return f"Hello, {name}"\n',
        after: lines("class Greeter:", "\tdef greet(self, name):", '\t\treturn f"Hello, {name}"', ""),
    },
    {
        name: "python: tab-indented file gets tabs on nested lines with their depth kept",
        language: "python",
        tabSize: 4,
        insertSpaces: false,
        doc: lines("def find(items, key):", "\t‸", ""),
        raw: "for item in items:\n        if item.key == key:\n            return item\n    return None\n",
        after: lines("def find(items, key):", "\tfor item in items:", "\t\tif item.key == key:", "\t\t\treturn item", "\treturn None", ""),
    },
    {
        name: "go: tab-indented file gets tabs for a body written with spaces",
        language: "go",
        tabSize: 4,
        insertSpaces: false,
        doc: lines("func main() {", "\t‸", "}", ""),
        raw: "for i := 0; i < 3; i++ {\n        fmt.Println(i)\n    }\n}",
        after: lines("func main() {", "\tfor i := 0; i < 3; i++ {", "\t\tfmt.Println(i)", "\t}", "}", ""),
    },
    {
        name: "go: tab-indented file gets a tab at column 0",
        language: "go",
        tabSize: 4,
        insertSpaces: false,
        doc: lines("func add(a, b int) int {", "‸", "}", ""),
        raw: "    return a + b\n}",
        after: lines("func add(a, b int) int {", "\treturn a + b", "}", ""),
    },
    {
        name: "c: tab-indented file with tab size 8 gets tabs",
        language: "c",
        tabSize: 8,
        insertSpaces: false,
        doc: lines("int sum(const int *a, int n)", "{", "\tint s = 0;", "\t‸", "}", ""),
        raw: "for (int i = 0; i < n; i++)\n                s += a[i];\n        return s;\n}",
        after: lines("int sum(const int *a, int n)", "{", "\tint s = 0;", "\tfor (int i = 0; i < n; i++)", "\t\ts += a[i];", "\treturn s;", "}", ""),
    },

    // (3) Makefile recipes
    {
        name: "makefile: a recipe written with spaces gets a tab",
        language: "makefile",
        doc: lines(".PHONY: build test", "", "build:", "‸", "", "test:", "\tgo test ./...", ""),
        raw: "    go build -o bin/hearth ./cmd/hearth\n\ntest:\n    go test ./...\n",
        after: lines(".PHONY: build test", "", "build:", "\tgo build -o bin/hearth ./cmd/hearth", "", "test:", "\tgo test ./...", ""),
    },
    {
        name: "makefile: every recipe line written with two spaces gets a tab",
        language: "makefile",
        doc: lines("clean:", "‸", ""),
        raw: "  rm -rf build\n  rm -f *.o\n",
        after: lines("clean:", "\trm -rf build", "\trm -f *.o", ""),
    },
    {
        name: "makefile: after the editor's tab, the model's spaces are dropped",
        language: "makefile",
        tabSize: 4,
        insertSpaces: false,
        doc: lines("install: build", "\t‸", ""),
        raw: "    cp bin/hearth /usr/local/bin/hearth\n",
        after: lines("install: build", "\tcp bin/hearth /usr/local/bin/hearth", ""),
    },
];

runTable("quality F: indentation", cases);
