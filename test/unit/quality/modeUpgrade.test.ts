/**
 * J. Mode upgrades: between auto-closed braces, at the end of a finished line when the model starts
 * with a newline, and in a partly typed declaration, the suggestion's new lines are shown (the
 * existing closer kept on its own line, not doubled).
 */
import { lines, runTable, type TableCase } from "./caseTable";

export const cases: TableCase[] = [
    // Between auto-closed braces
    {
        name: "javascript: a function body between auto-closed braces goes on its own lines",
        language: "javascript",
        doc: lines("function getAnswer() {‸}", ""),
        raw: "\n    return 42;\n}<|endoftext|>",
        after: lines("function getAnswer() {", "    return 42;", "}", ""),
    },
    {
        name: "javascript: a body without the closing brace still leaves the existing `}` on its own line",
        language: "javascript",
        doc: lines("function getAnswer() {‸}", ""),
        raw: "\n    return 42;\n",
        after: lines("function getAnswer() {", "    return 42;", "}", ""),
    },
    {
        name: "typescript: an arrow callback's body between `{` and `})`",
        language: "typescript",
        doc: lines("fetchUser(id).then((data) => {‸});", ""),
        raw: "\n    console.log(data.name);\n});",
        after: lines("fetchUser(id).then((data) => {", "    console.log(data.name);", "});", ""),
    },
    {
        name: "typescript: an arrow function's body between `{` and `};`",
        language: "typescript",
        doc: lines("const add = (a: number, b: number): number => {‸};", ""),
        raw: "\n    return a + b;\n};\n",
        after: lines("const add = (a: number, b: number): number => {", "    return a + b;", "};", ""),
    },
    {
        name: "go: a function body between auto-closed braces",
        language: "go",
        tabSize: 4,
        insertSpaces: false,
        doc: lines("package main", "", 'import "fmt"', "", "func main() {‸}", ""),
        raw: '\n\tfmt.Println("hello")\n}',
        after: lines("package main", "", 'import "fmt"', "", "func main() {", '\tfmt.Println("hello")', "}", ""),
    },
    {
        name: "go: a body without the closing brace still leaves the existing `}` on its own line",
        language: "go",
        tabSize: 4,
        insertSpaces: false,
        doc: lines("package main", "", 'import "fmt"', "", "func main() {‸}", ""),
        raw: '\n\tfmt.Println("hello")\n',
        after: lines("package main", "", 'import "fmt"', "", "func main() {", '\tfmt.Println("hello")', "}", ""),
    },
    {
        name: "c: main's body between auto-closed braces",
        language: "c",
        doc: lines("#include <stdio.h>", "", "int main(void) {‸}", ""),
        raw: '\n    printf("hello\\n");\n    return 0;\n}\n',
        after: lines("#include <stdio.h>", "", "int main(void) {", '    printf("hello\\n");', "    return 0;", "}", ""),
    },
    {
        name: "java: a method body between auto-closed braces inside a class",
        language: "java",
        doc: lines("public class Bag {", "    private final List<String> items = new ArrayList<>();", "", "    public int size() {‸}", "}", ""),
        raw: "\n        return items.size();\n    }",
        after: lines(
            "public class Bag {",
            "    private final List<String> items = new ArrayList<>();",
            "",
            "    public int size() {",
            "        return items.size();",
            "    }",
            "}",
            "",
        ),
    },
    {
        name: "rust: main's body between auto-closed braces",
        language: "rust",
        doc: lines("fn main() {‸}", ""),
        raw: '\n    println!("Hello, world!");\n}\n',
        after: lines("fn main() {", '    println!("Hello, world!");', "}", ""),
    },
    {
        name: "kotlin: a function body between auto-closed braces",
        language: "kotlin",
        doc: lines("fun greet(name: String) {‸}", ""),
        raw: '\n    println("Hello, $name")\n}',
        after: lines("fun greet(name: String) {", '    println("Hello, $name")', "}", ""),
    },
    {
        name: "swift: a function body between auto-closed braces",
        language: "swift",
        doc: lines("func greet(name: String) {‸}", ""),
        raw: '\n    print("Hello, \\(name)")\n}',
        after: lines("func greet(name: String) {", '    print("Hello, \\(name)")', "}", ""),
    },
    {
        name: "css: a rule's declarations between auto-closed braces",
        language: "css",
        doc: lines(".button {‸}", ""),
        raw: "\n  padding: 8px 16px;\n  border-radius: 4px;\n}\n",
        after: lines(".button {", "  padding: 8px 16px;", "  border-radius: 4px;", "}", ""),
    },
    {
        name: "json: an object's entries between auto-closed braces",
        language: "json",
        doc: lines("{‸}", ""),
        raw: '\n  "compilerOptions": {\n    "strict": true\n  }\n}',
        after: lines("{", '  "compilerOptions": {', '    "strict": true', "  }", "}", ""),
    },

    // The end of a finished line, the model starting with a newline
    {
        name: "yaml: after a finished key, the next key on the next line",
        language: "yaml",
        doc: lines("name: hearth‸", ""),
        raw: "\nversion: 0.1.0\n<|endoftext|>",
        after: lines("name: hearth", "version: 0.1.0", ""),
    },
    {
        name: "yaml: after a finished list item, the next item on the next line",
        language: "yaml",
        doc: lines("dependencies:", "  - express‸", ""),
        raw: "\n  - cors\n<|endoftext|>",
        after: lines("dependencies:", "  - express", "  - cors", ""),
    },
    {
        name: "javascript: after the last statement, the missing `}` on the next line",
        language: "javascript",
        doc: lines("function square(x) {", "    return x * x;‸"),
        raw: "\n}\n<|endoftext|>",
        after: lines("function square(x) {", "    return x * x;", "}"),
    },
    {
        name: "javascript: after a statement in an unclosed if, its `}` on the next line",
        language: "javascript",
        doc: lines("if (ready) {", "    start();‸"),
        raw: "\n}<|endoftext|>",
        after: lines("if (ready) {", "    start();", "}"),
    },
    {
        name: "python: after a finished import, the next import on the next line",
        language: "python",
        doc: lines("import os‸", ""),
        raw: "\nimport sys\n<|endoftext|>",
        after: lines("import os", "import sys", ""),
    },
    {
        name: "lua: after a function header, its body and `end` on the next lines",
        language: "lua",
        doc: lines("function greet(name)‸"),
        raw: '\n  print("Hello, " .. name)\nend\n<|endoftext|>',
        after: lines("function greet(name)", '  print("Hello, " .. name)', "end"),
    },

    // A partly typed declaration
    {
        name: "typescript: a partly typed method gets its block, the auto-closed `)` replaced",
        language: "typescript",
        doc: lines("class Product {", "  constructor(private details: string) {}", "", "  getDetails(‸)", "}", ""),
        raw: ") {\n    return this.details;\n  }",
        after: lines("class Product {", "  constructor(private details: string) {}", "", "  getDetails() {", "    return this.details;", "  }", "}", ""),
    },
    {
        name: "java: a partly typed method gets its block, the auto-closed `)` replaced",
        language: "java",
        doc: lines("public class User {", "    private String name;", "", "    public String getName(‸)", "}", ""),
        raw: ") {\n        return name;\n    }\n",
        after: lines("public class User {", "    private String name;", "", "    public String getName() {", "        return name;", "    }", "}", ""),
    },
    {
        name: "kotlin: a partly typed function gets its block, the auto-closed `)` replaced",
        language: "kotlin",
        doc: lines("class Rect(val width: Double, val height: Double) {", "    fun area(‸)", "}", ""),
        raw: "): Double {\n        return width * height\n    }",
        after: lines("class Rect(val width: Double, val height: Double) {", "    fun area(): Double {", "        return width * height", "    }", "}", ""),
    },
    {
        name: "php: a partly typed method gets its block, the auto-closed `)` replaced",
        language: "php",
        doc: lines("<?php", "class User", "{", "    private string $name;", "", "    public function getName(‸)", "}", ""),
        raw: "): string\n    {\n        return $this->name;\n    }\n",
        after: lines(
            "<?php",
            "class User",
            "{",
            "    private string $name;",
            "",
            "    public function getName(): string",
            "    {",
            "        return $this->name;",
            "    }",
            "}",
            "",
        ),
    },
];

runTable("quality J: mode upgrades", cases);
