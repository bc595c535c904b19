import AWSJSON
import DynamoDBModel
import Foundation
import Testing

/// One row of the expression table: what is parsed, against which item, and what DynamoDB answers (a condition's
/// result, the item after an update, the projected item, a key condition, or `error: <exact message>`).
struct ExpressionCase: Sendable, CustomTestStringConvertible {
    enum Kind: Sendable {
        case condition, filter, update, projection, key(KeySchema), expected, attributeUpdates, scanFilter
    }

    var kind: Kind
    var item: String
    var expression: String
    var names: [String: String]
    var values: String
    var expected: String

    var testDescription: String { "\(kind): \(expression)" }
}

private func condition(_ item: String, _ expression: String, names: [String: String] = [:], values: String = "{}", _ expected: Bool) -> ExpressionCase {
    ExpressionCase(kind: .condition, item: item, expression: expression, names: names, values: values, expected: String(expected))
}

private func conditionError(_ expression: String, names: [String: String] = [:], values: String = "{}", _ message: String) -> ExpressionCase {
    ExpressionCase(kind: .condition, item: "{}", expression: expression, names: names, values: values, expected: "error: " + message)
}

private func update(_ item: String, _ expression: String, names: [String: String] = [:], values: String = "{}", _ after: String) -> ExpressionCase {
    ExpressionCase(kind: .update, item: item, expression: expression, names: names, values: values, expected: after)
}

private func updateError(_ expression: String, names: [String: String] = [:], values: String = "{}", _ message: String) -> ExpressionCase {
    ExpressionCase(kind: .update, item: "{}", expression: expression, names: names, values: values, expected: "error: " + message)
}

private func updateErrorOn(_ item: String, _ expression: String, names: [String: String] = [:], values: String = "{}", _ message: String) -> ExpressionCase {
    ExpressionCase(kind: .update, item: item, expression: expression, names: names, values: values, expected: "error: " + message)
}

private func projection(_ item: String, _ expression: String, names: [String: String] = [:], _ expected: String) -> ExpressionCase {
    ExpressionCase(kind: .projection, item: item, expression: expression, names: names, values: "{}", expected: expected)
}

let hashOnly = KeySchema(hash: KeyAttribute(name: "LockID", type: .string))
let hashRange = KeySchema(hash: KeyAttribute(name: "pk", type: .string), range: KeyAttribute(name: "sk", type: .number))

private func key(_ schema: KeySchema, _ expression: String, names: [String: String] = [:], values: String, _ expected: String) -> ExpressionCase {
    ExpressionCase(kind: .key(schema), item: "{}", expression: expression, names: names, values: values, expected: expected)
}

/// The ProductCatalog item of the Developer Guide's expression examples ("Condition and filter expressions,
/// operators, and functions"; "Using update expressions in DynamoDB").
let product = #"""
{"Id":{"N":"456"},"ProductCategory":{"S":"Sporting Goods"},"Price":{"N":"650"},"Brand":{"S":"Acme Company"},
 "Color":{"SS":["Red","Black"]},"VideoClip":{"B":"AAECAwQ="},"InStock":{"BOOL":true},"Discontinued":{"NULL":true},
 "Pictures":{"M":{"FrontView":{"S":"http://example.com/products/456_front.jpg"},"SideView":{"S":"http://example.com/products/456_left_side.jpg"}}},
 "ProductReviews":{"M":{"FiveStar":{"L":[{"S":"Excellent! Can't recommend it highly enough! Buy it!"},{"S":"Do yourself a favor and buy this."}]},
   "OneStar":{"L":[{"S":"Terrible product! Do not buy this."}]}}},
 "Tags":{"L":[{"S":"outdoor"},{"N":"7"},{"M":{"deep":{"S":"x"}}}]},"Sizes":{"NS":["1","2.5","10"]},"Blobs":{"BS":["AQ==","Ag=="]}}
"""#

let expressionCases: [ExpressionCase] = [
    // Comparison operator and function reference (Developer Guide): comparisons.
    condition(product, "Price = :p", values: #"{":p":{"N":"650"}}"#, true),
    condition(product, "Price = :p", values: #"{":p":{"N":"650.00"}}"#, true),
    condition(product, "Price <> :p", values: #"{":p":{"N":"650"}}"#, false),
    condition(product, "Price < :p", values: #"{":p":{"N":"651"}}"#, true),
    condition(product, "Price <= :p", values: #"{":p":{"N":"650"}}"#, true),
    condition(product, "Price > :p", values: #"{":p":{"N":"500"}}"#, true),
    condition(product, "Price >= :p", values: #"{":p":{"N":"651"}}"#, false),
    condition(product, "Brand = :b", values: #"{":b":{"S":"Acme Company"}}"#, true),
    condition(product, "Brand < :b", values: #"{":b":{"S":"Acme Companz"}}"#, true),
    condition(product, ":p > Price", values: #"{":p":{"N":"700"}}"#, true),
    condition(product, "VideoClip < :b", values: #"{":b":{"B":"AAECAwU="}}"#, true),
    condition(product, "Color = :c", values: #"{":c":{"SS":["Black","Red"]}}"#, true),
    condition(product, "Pictures = :m",
              values: #"{":m":{"M":{"SideView":{"S":"http://example.com/products/456_left_side.jpg"},"FrontView":{"S":"http://example.com/products/456_front.jpg"}}}}"#, true),
    condition(product, "InStock = :t", values: #"{":t":{"BOOL":true}}"#, true),
    condition(product, "Discontinued = :n", values: #"{":n":{"NULL":true}}"#, true),
    // Comparisons between different types are false, not errors.
    condition(product, "Price = :s", values: #"{":s":{"S":"650"}}"#, false),
    condition(product, "Price < :s", values: #"{":s":{"S":"9999"}}"#, false),
    condition(product, "Price <> :s", values: #"{":s":{"S":"650"}}"#, true),
    condition(product, "InStock < :t", values: #"{":t":{"BOOL":true}}"#, false),
    condition(product, "Color < :c", values: #"{":c":{"SS":["Z"]}}"#, false),
    // Absent attributes: equality false, inequality true, orderings false.
    condition(product, "Absent = :p", values: #"{":p":{"N":"1"}}"#, false),
    condition(product, "Absent <> :p", values: #"{":p":{"N":"1"}}"#, true),
    condition(product, "Absent < :p", values: #"{":p":{"N":"1"}}"#, false),
    condition("{}", "Price >= :p", values: #"{":p":{"N":"0"}}"#, false),
    // BETWEEN and IN.
    condition(product, "Price BETWEEN :lo AND :hi", values: #"{":lo":{"N":"500"},":hi":{"N":"650"}}"#, true),
    condition(product, "Price BETWEEN :lo AND :hi", values: #"{":lo":{"N":"500"},":hi":{"N":"600"}}"#, false),
    condition(product, "Price between :lo and :hi", values: #"{":lo":{"N":"650"},":hi":{"N":"650"}}"#, true),
    condition(product, "Brand BETWEEN :lo AND :hi", values: #"{":lo":{"S":"A"},":hi":{"S":"B"}}"#, true),
    condition(product, "Price BETWEEN :lo AND :hi", values: #"{":lo":{"S":"1"},":hi":{"S":"9"}}"#, false),
    condition(product, "ProductCategory IN (:cat1, :cat2)", values: #"{":cat1":{"S":"Sporting Goods"},":cat2":{"S":"Gardening Supplies"}}"#, true),
    condition(product, "ProductCategory in (:cat2)", values: #"{":cat2":{"S":"Gardening Supplies"}}"#, false),
    condition(product, "Price IN (:a, :b)", values: #"{":a":{"S":"650"},":b":{"N":"650"}}"#, true),
    // The Developer Guide's conditional delete: (ProductCategory IN (:cat1, :cat2)) and (Price between :lo and :hi).
    condition(product, "(ProductCategory IN (:cat1, :cat2)) and (Price between :lo and :hi)",
              values: #"{":cat1":{"S":"Sporting Goods"},":cat2":{"S":"Gardening Supplies"},":lo":{"N":"500"},":hi":{"N":"600"}}"#, false),
    condition(product, "(ProductCategory IN (:cat1, :cat2)) and (Price between :lo and :hi)",
              values: #"{":cat1":{"S":"Sporting Goods"},":cat2":{"S":"Gardening Supplies"},":lo":{"N":"600"},":hi":{"N":"700"}}"#, true),
    // Functions, with the reference's examples.
    condition(product, "attribute_exists (#Pictures.#SideView)", names: ["#Pictures": "Pictures", "#SideView": "SideView"], true),
    condition(product, "attribute_exists(Pictures.RearView)", false),
    condition(product, "attribute_not_exists (Manufacturer)", true),
    condition(product, "attribute_not_exists(Price)", false),
    condition(product, "attribute_exists(Discontinued)", true),
    condition(product, "attribute_type (ProductReviews.FiveStar, :v_sub)", values: #"{":v_sub":{"S":"L"}}"#, true),
    condition(product, "attribute_type(Price, :t)", values: #"{":t":{"S":"S"}}"#, false),
    condition(product, "attribute_type(Color, :t)", values: #"{":t":{"S":"SS"}}"#, true),
    condition(product, "attribute_type(Absent, :t)", values: #"{":t":{"S":"NULL"}}"#, false),
    condition(product, "begins_with (Pictures.FrontView, :v_sub)", values: #"{":v_sub":{"S":"http://"}}"#, true),
    condition(product, "begins_with(Brand, :v)", values: #"{":v":{"S":"Company"}}"#, false),
    condition(product, "begins_with(VideoClip, :v)", values: #"{":v":{"B":"AAE="}}"#, true),
    condition(product, "begins_with(Price, :v)", values: #"{":v":{"S":"6"}}"#, false),
    condition(product, "contains (Brand, :v_sub)", values: #"{":v_sub":{"S":"Company"}}"#, true),
    condition(product, "contains (Color, :v_sub)", values: #"{":v_sub":{"S":"Red"}}"#, true),
    condition(product, "contains(Color, :v)", values: #"{":v":{"S":"Blue"}}"#, false),
    condition(product, "contains(Sizes, :v)", values: #"{":v":{"N":"2.50"}}"#, true),
    condition(product, "contains(Blobs, :v)", values: #"{":v":{"B":"Ag=="}}"#, true),
    condition(product, "contains(Tags, :v)", values: #"{":v":{"N":"7"}}"#, true),
    condition(product, "contains(Tags, :v)", values: #"{":v":{"M":{"deep":{"S":"x"}}}}"#, true),
    condition(product, "contains(Color, :v)", values: #"{":v":{"N":"1"}}"#, false),
    condition(product, "contains(Brand, :v)", values: #"{":v":{"S":""}}"#, true),
    condition(product, "size (Brand) <= :v_sub", values: #"{":v_sub":{"N":"20"}}"#, true),
    condition(product, "size(Brand) = :n", values: #"{":n":{"N":"12"}}"#, true),
    condition(product, "size(VideoClip) > :v_sub", values: #"{":v_sub":{"N":"64000"}}"#, false),
    condition(product, "size(VideoClip) = :n", values: #"{":n":{"N":"5"}}"#, true),
    condition(product, "size (Color) < :v_sub", values: #"{":v_sub":{"N":"3"}}"#, true),
    condition(product, "size(ProductReviews.OneStar) > :v_sub", values: #"{":v_sub":{"N":"3"}}"#, false),
    condition(product, "size(Pictures) = :n", values: #"{":n":{"N":"2"}}"#, true),
    condition(product, "size(Price) = :n", values: #"{":n":{"N":"3"}}"#, false),
    condition(product, "size(Absent) < :n", values: #"{":n":{"N":"3"}}"#, false),
    condition(product, ":n = size(Tags)", values: #"{":n":{"N":"3"}}"#, true),
    // Nested paths and list elements.
    condition(product, "ProductReviews.FiveStar[1] = :r", values: #"{":r":{"S":"Do yourself a favor and buy this."}}"#, true),
    condition(product, "ProductReviews.FiveStar[5] = :r", values: #"{":r":{"S":"x"}}"#, false),
    condition(product, "Tags[2].deep = :x", values: #"{":x":{"S":"x"}}"#, true),
    condition(product, "Tags[ 2 ] . deep = :x", values: #"{":x":{"S":"x"}}"#, true),
    condition(product, "Tags.deep = :x", values: #"{":x":{"S":"x"}}"#, false),
    condition(product, "Brand[0] = :x", values: #"{":x":{"S":"A"}}"#, false),
    condition(#"{"a.b":{"N":"1"},"a":{"M":{"b":{"N":"2"}}}}"#, "#ab = :one AND a.b = :two", names: ["#ab": "a.b"], values: #"{":one":{"N":"1"},":two":{"N":"2"}}"#, true),
    // Logical operators; precedence NOT > AND > OR ("Precedence in conditions").
    condition(product, "Price > :lo AND Price < :hi", values: #"{":lo":{"N":"600"},":hi":{"N":"700"}}"#, true),
    condition(product, "Price < :lo OR Price > :hi", values: #"{":lo":{"N":"600"},":hi":{"N":"700"}}"#, false),
    condition(product, "NOT Price = :p", values: #"{":p":{"N":"650"}}"#, false),
    condition(product, "NOT attribute_exists(Absent)", true),
    condition(product, "not (Price = :p)", values: #"{":p":{"N":"1"}}"#, true),
    condition(product, "NOT NOT Price = :p", values: #"{":p":{"N":"650"}}"#, true),
    condition("{}", ":t = :t OR :f = :t AND :f = :t", values: #"{":t":{"BOOL":true},":f":{"BOOL":false}}"#, true),
    condition("{}", "(:t = :t OR :f = :t) AND :f = :t", values: #"{":t":{"BOOL":true},":f":{"BOOL":false}}"#, false),
    condition("{}", "NOT :f = :t AND :f = :t", values: #"{":t":{"BOOL":true},":f":{"BOOL":false}}"#, false),
    condition("{}", "NOT (:f = :t AND :f = :t)", values: #"{":t":{"BOOL":true},":f":{"BOOL":false}}"#, true),
    condition("{}", ":f = :t AND :f = :t OR :t = :t", values: #"{":t":{"BOOL":true},":f":{"BOOL":false}}"#, true),
    condition("{}", "((:t = :t AND :t = :t) AND :t = :t)", values: #"{":t":{"BOOL":true}}"#, true),
    condition("{}", "(a = :v) AND ((b) = :v)", values: #"{":v":{"N":"1"}}"#, false),
    // Keywords and function names are case-insensitive and case-sensitive respectively.
    condition(product, "price = :p", values: #"{":p":{"N":"650"}}"#, false),
    condition("{\"LockID\":{\"S\":\"x\"}}", "attribute_not_exists(LockID)", false),
    condition("{}", "attribute_not_exists(LockID)", true),
    condition(#"{"Digest":{"S":"abc"}}"#, "attribute_not_exists(LockID) OR Digest = :d", values: #"{":d":{"S":"abc"}}"#, true),

    // Errors of condition expressions, with DynamoDB's messages.
    conditionError("", "Invalid ConditionExpression: The expression can not be empty;"),
    conditionError("   ", "Invalid ConditionExpression: The expression can not be empty;"),
    conditionError("a =", "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \"=\""),
    conditionError("a = ", "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \"= \""),
    conditionError("a b", "Invalid ConditionExpression: Syntax error; token: \"b\", near: \"a b\""),
    conditionError("a = :v :w", values: #"{":v":{"N":"1"}}"#, "Invalid ConditionExpression: Syntax error; token: \":w\", near: \":v :w\""),
    conditionError("a = 1", "Invalid ConditionExpression: Syntax error; token: \"1\", near: \"= 1\""),
    conditionError("a == :v", "Invalid ConditionExpression: Syntax error; token: \"=\", near: \"== :v\""),
    conditionError("a != :v", "Invalid ConditionExpression: Syntax error; token: \"!\", near: \"a !=\""),
    conditionError("a", "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \"a\""),
    conditionError("a AND b = :v", "Invalid ConditionExpression: Syntax error; token: \"AND\", near: \"a AND b\""),
    conditionError("(a = :v", "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \":v\""),
    conditionError("a = :v)", "Invalid ConditionExpression: Syntax error; token: \")\", near: \":v)\""),
    conditionError("a BETWEEN :x", "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \":x\""),
    conditionError("a IN ()", "Invalid ConditionExpression: Syntax error; token: \")\", near: \"()\""),
    conditionError("a.and = :v", "Invalid ConditionExpression: Syntax error; token: \"and\", near: \".and =\""),
    conditionError("a[x] = :v", "Invalid ConditionExpression: Syntax error; token: \"x\", near: \"[x]\""),
    conditionError("# = :v", "Invalid ConditionExpression: Syntax error; token: \"#\", near: \"# =\""),
    conditionError("status = :v", values: #"{":v":{"S":"a"}}"#, "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: status"),
    conditionError("a.Size = :v", values: #"{":v":{"S":"a"}}"#, "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: Size"),
    conditionError("a = :v", "Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :v"),
    conditionError("#a = :v", values: #"{":v":{"S":"a"}}"#, "Invalid ConditionExpression: An expression attribute name used in the document path is not defined; attribute name: #a"),
    conditionError("foo(a)", "Invalid ConditionExpression: Invalid function name; function: foo"),
    conditionError("Attribute_Exists(a)", "Invalid ConditionExpression: Invalid function name; function: Attribute_Exists"),
    conditionError("attribute_exists(a, b)", "Invalid ConditionExpression: Incorrect number of operands for operator or function; operator or function: attribute_exists, number of operands: 2"),
    conditionError("begins_with(a)", "Invalid ConditionExpression: Incorrect number of operands for operator or function; operator or function: begins_with, number of operands: 1"),
    conditionError("attribute_exists(:v)", values: #"{":v":{"S":"a"}}"#, "Invalid ConditionExpression: Operator or function requires a document path; operator or function: attribute_exists"),
    conditionError("begins_with(a, :v)", values: #"{":v":{"N":"1"}}"#, "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N"),
    conditionError("attribute_type(a, :v)", values: #"{":v":{"N":"1"}}"#, "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: attribute_type, operand type: N"),
    conditionError("attribute_type(a, :v)", values: #"{":v":{"S":"STRING"}}"#, "Invalid ConditionExpression: Invalid attribute type name found; type: STRING, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}"),
    conditionError("attribute_type(a, b)", "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: attribute_type, operand type: {NS,SS,L,BS,N,M,B,BOOL,NULL,S}"),
    conditionError("size(:v) > :v", values: #"{":v":{"N":"1"}}"#, "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: size, operand type: N"),
    conditionError("size(a)", "Invalid ConditionExpression: The function is not allowed to be used this way in an expression; function: size"),
    conditionError("attribute_exists(a) = :v", values: #"{":v":{"BOOL":true}}"#, "Invalid ConditionExpression: The function is not allowed to be used this way in an expression; function: attribute_exists"),
    conditionError("a = a", "Invalid ConditionExpression: The first operand must be distinct from the remaining operands for this operator or function; operator: =, first operand: [a]"),
    conditionError("begins_with(a.b, a.b)", "Invalid ConditionExpression: The first operand must be distinct from the remaining operands for this operator or function; operator: begins_with, first operand: [a, b]"),
    conditionError("a BETWEEN :lo AND :hi", values: #"{":lo":{"N":"1"},":hi":{"S":"a"}}"#, "Invalid ConditionExpression: The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {N:1}, upper bound operand: AttributeValue: {S:a}"),
    conditionError("a BETWEEN :lo AND :hi", values: #"{":lo":{"N":"5"},":hi":{"N":"1"}}"#, "Invalid ConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {N:5}, upper bound operand: AttributeValue: {N:1}"),
    conditionError("((a = :v))", values: #"{":v":{"N":"1"}}"#, "Invalid ConditionExpression: The expression has redundant parentheses;"),
    conditionError("((a)) = :v", values: #"{":v":{"N":"1"}}"#, "Invalid ConditionExpression: The expression has redundant parentheses;"),
    // Error ranking: redundant parentheses before unknown functions before reserved words before placeholders.
    conditionError("((foo(status) = :x))", "Invalid ConditionExpression: The expression has redundant parentheses;"),
    conditionError("foo(status) = :x", "Invalid ConditionExpression: Invalid function name; function: foo"),
    conditionError("status = :x", "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: status"),
    conditionError(String(repeating: "a = :v AND ", count: 400) + "a = :v", values: #"{":v":{"N":"1"}}"#,
                   "Invalid ConditionExpression: Expression size has exceeded the maximum allowed size; expression size: 4406"),

    // Update expressions ("Using update expressions in DynamoDB", Developer Guide, ProductCatalog item 789).
    update(#"{"Id":{"N":"789"}}"#, "SET ProductCategory = :c, Price = :p", values: #"{":c":{"S":"Hardware"},":p":{"N":"60"}}"#,
           #"{"Id":{"N":"789"},"ProductCategory":{"S":"Hardware"},"Price":{"N":"60"}}"#),
    update(#"{"Id":{"N":"789"}}"#, "SET RelatedItems = :ri, ProductReviews = :pr",
           values: #"{":ri":{"L":[{"S":"Hammer"}]},":pr":{"M":{"FiveStar":{"L":[{"S":"Best product ever!"}]}}}}"#,
           #"{"Id":{"N":"789"},"RelatedItems":{"L":[{"S":"Hammer"}]},"ProductReviews":{"M":{"FiveStar":{"L":[{"S":"Best product ever!"}]}}}}"#),
    update(#"{"RelatedItems":{"L":[{"S":"Hammer"}]}}"#, "SET RelatedItems[1] = :ri", values: #"{":ri":{"S":"Nails"}}"#,
           #"{"RelatedItems":{"L":[{"S":"Hammer"},{"S":"Nails"}]}}"#),
    update(#"{"RelatedItems":{"L":[{"S":"Hammer"}]}}"#, "SET RelatedItems[9] = :ri", values: #"{":ri":{"S":"Nails"}}"#,
           #"{"RelatedItems":{"L":[{"S":"Hammer"},{"S":"Nails"}]}}"#),
    update(#"{"RelatedItems":{"L":[{"S":"Hammer"},{"S":"Nails"}]}}"#, "SET RelatedItems[0] = :ri", values: #"{":ri":{"S":"Saw"}}"#,
           #"{"RelatedItems":{"L":[{"S":"Saw"},{"S":"Nails"}]}}"#),
    update(#"{"ProductReviews":{"M":{"FiveStar":{"L":[{"S":"a"}]}}}}"#, "SET #pr.#5star[1] = :r5, #pr.#3star = :r3",
           names: ["#pr": "ProductReviews", "#5star": "FiveStar", "#3star": "ThreeStar"],
           values: #"{":r5":{"S":"Very happy with my purchase"},":r3":{"L":[{"S":"Just OK - not that great"}]}}"#,
           #"{"ProductReviews":{"M":{"FiveStar":{"L":[{"S":"a"},{"S":"Very happy with my purchase"}]},"ThreeStar":{"L":[{"S":"Just OK - not that great"}]}}}}"#),
    update(#"{"Price":{"N":"52"}}"#, "SET Price = Price - :p", values: #"{":p":{"N":"15"}}"#, #"{"Price":{"N":"37"}}"#),
    update(#"{"Price":{"N":"37"}}"#, "SET Price = Price + :p", values: #"{":p":{"N":"0.5"}}"#, #"{"Price":{"N":"37.5"}}"#),
    update(#"{"a":{"N":"0.1"}}"#, "SET a = a + :b", values: #"{":b":{"N":"0.2"}}"#, #"{"a":{"N":"0.3"}}"#),
    update(#"{"a":{"N":"5"},"b":{"N":"3"}}"#, "SET c = a - b", #"{"a":{"N":"5"},"b":{"N":"3"},"c":{"N":"2"}}"#),
    update(#"{"RelatedItems":{"L":[{"S":"Hammer"}]}}"#, "SET #ri = list_append(#ri, :vals)", names: ["#ri": "RelatedItems"],
           values: #"{":vals":{"L":[{"S":"Screwdriver"},{"S":"Hacksaw"}]}}"#,
           #"{"RelatedItems":{"L":[{"S":"Hammer"},{"S":"Screwdriver"},{"S":"Hacksaw"}]}}"#),
    update(#"{"RelatedItems":{"L":[{"S":"Hammer"}]}}"#, "SET #ri = list_append(:vals, #ri)", names: ["#ri": "RelatedItems"],
           values: #"{":vals":{"L":[{"S":"Chisel"}]}}"#, #"{"RelatedItems":{"L":[{"S":"Chisel"},{"S":"Hammer"}]}}"#),
    update(#"{"Price":{"N":"52"}}"#, "SET Price = if_not_exists(Price, :p)", values: #"{":p":{"N":"100"}}"#, #"{"Price":{"N":"52"}}"#),
    update("{}", "SET Price = if_not_exists(Price, :p)", values: #"{":p":{"N":"100"}}"#, #"{"Price":{"N":"100"}}"#),
    update("{}", "SET n = if_not_exists(n, :zero) + :one", values: #"{":zero":{"N":"0"},":one":{"N":"1"}}"#, #"{"n":{"N":"1"}}"#),
    update("{}", "SET l = list_append(if_not_exists(l, :empty), :v)", values: #"{":empty":{"L":[]},":v":{"L":[{"S":"x"}]}}"#, #"{"l":{"L":[{"S":"x"}]}}"#),
    update(#"{"a":{"N":"1"},"b":{"N":"2"}}"#, "SET a = b, b = a", #"{"a":{"N":"2"},"b":{"N":"1"}}"#),
    update("{}", "SET a = (:v)", values: #"{":v":{"S":"x"}}"#, #"{"a":{"S":"x"}}"#),
    update("{}", "SET a = (:v + :w)", values: #"{":v":{"N":"1"},":w":{"N":"2"}}"#, #"{"a":{"N":"3"}}"#),
    update("{}", "SET a = (:v) + :w", values: #"{":v":{"N":"1"},":w":{"N":"2"}}"#, #"{"a":{"N":"3"}}"#),
    update("{}", "set a = :v", values: #"{":v":{"S":"x"}}"#, #"{"a":{"S":"x"}}"#),
    update(#"{"Brand":{"S":"x"},"InStock":{"BOOL":true},"Id":{"N":"1"}}"#, "REMOVE Brand, InStock, QuantityOnHand", #"{"Id":{"N":"1"}}"#),
    update(#"{"RelatedItems":{"L":[{"S":"a"},{"S":"b"},{"S":"c"},{"S":"d"}]}}"#, "REMOVE RelatedItems[1], RelatedItems[2]",
           #"{"RelatedItems":{"L":[{"S":"a"},{"S":"d"}]}}"#),
    update(#"{"m":{"M":{"a":{"N":"1"},"b":{"N":"2"}}}}"#, "REMOVE m.a", #"{"m":{"M":{"b":{"N":"2"}}}}"#),
    update(#"{"l":{"L":[{"S":"a"}]}}"#, "REMOVE l[5]", #"{"l":{"L":[{"S":"a"}]}}"#),
    update("{}", "ADD QuantityOnHand :q", values: #"{":q":{"N":"5"}}"#, #"{"QuantityOnHand":{"N":"5"}}"#),
    update(#"{"QuantityOnHand":{"N":"5"}}"#, "ADD QuantityOnHand :q", values: #"{":q":{"N":"-2"}}"#, #"{"QuantityOnHand":{"N":"3"}}"#),
    update(#"{"Color":{"SS":["Red"]}}"#, "ADD Color :c", values: #"{":c":{"SS":["Orange","Purple","Red"]}}"#, #"{"Color":{"SS":["Red","Orange","Purple"]}}"#),
    update("{}", "ADD Color :c", values: #"{":c":{"SS":["Orange"]}}"#, #"{"Color":{"SS":["Orange"]}}"#),
    update(#"{"Color":{"SS":["Red","Yellow","Purple"]}}"#, "DELETE Color :p", values: #"{":p":{"SS":["Yellow","Purple"]}}"#, #"{"Color":{"SS":["Red"]}}"#),
    update(#"{"Color":{"SS":["Red"]}}"#, "DELETE Color :p", values: #"{":p":{"SS":["Red"]}}"#, "{}"),
    update("{}", "DELETE Color :p", values: #"{":p":{"SS":["Red"]}}"#, "{}"),
    update(#"{"n":{"NS":["1","2"]}}"#, "DELETE n :p", values: #"{":p":{"NS":["2.0"]}}"#, #"{"n":{"NS":["1"]}}"#),
    update(#"{"a":{"N":"1"},"b":{"N":"1"},"c":{"SS":["x"]}}"#, "SET a = :v REMOVE b ADD d :one DELETE c :x",
           values: #"{":v":{"N":"9"},":one":{"N":"1"},":x":{"SS":["x"]}}"#, #"{"a":{"N":"9"},"d":{"N":"1"}}"#),
    update("{}", "ADD d :one SET a = :v", values: #"{":v":{"N":"9"},":one":{"N":"1"}}"#, #"{"a":{"N":"9"},"d":{"N":"1"}}"#),

    // Update expression errors: parse time.
    updateError("", "Invalid UpdateExpression: The expression can not be empty;"),
    updateError("SET", "Invalid UpdateExpression: Syntax error; token: \"<EOF>\", near: \"SET\""),
    updateError("SET a = :v +", values: #"{":v":{"N":"1"}}"#, "Invalid UpdateExpression: Syntax error; token: \"<EOF>\", near: \"+\""),
    updateError("SET a = :v + :v + :v", values: #"{":v":{"N":"1"}}"#, "Invalid UpdateExpression: Syntax error; token: \"+\", near: \":v + :v\""),
    updateError("ADD a", "Invalid UpdateExpression: Syntax error; token: \"<EOF>\", near: \"a\""),
    updateError("UPDATE a = :v", values: #"{":v":{"N":"1"}}"#, "Invalid UpdateExpression: Syntax error; token: \"UPDATE\", near: \"UPDATE a\""),
    updateError("SET a = :v SET b = :v", values: #"{":v":{"N":"1"}}"#, "Invalid UpdateExpression: The \"SET\" section can only be used once in an update expression;"),
    updateError("REMOVE a remove b", "Invalid UpdateExpression: The \"REMOVE\" section can only be used once in an update expression;"),
    updateError("SET a = :v, a.b = :v", values: #"{":v":{"N":"1"}}"#, "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]"),
    updateError("SET a = :v REMOVE a", values: #"{":v":{"N":"1"}}"#, "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]"),
    updateError("SET a[1] = :v, a.b = :v", values: #"{":v":{"N":"1"}}"#, "Invalid UpdateExpression: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, [1]], path two: [a, b]"),
    updateError("SET #s = :v, status = :v", names: ["#s": "s"], values: #"{":v":{"N":"1"}}"#, "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: status"),
    updateError("SET a = :v", "Invalid UpdateExpression: An expression attribute value used in expression is not defined; attribute value: :v"),
    updateError("SET #a = :v", values: #"{":v":{"N":"1"}}"#, "Invalid UpdateExpression: An expression attribute name used in the document path is not defined; attribute name: #a"),
    updateError("SET a = foo(b)", "Invalid UpdateExpression: Invalid function name; function: foo"),
    updateError("SET a = if_not_exists(:v, :v)", values: #"{":v":{"N":"1"}}"#, "Invalid UpdateExpression: Operator or function requires a document path; operator or function: if_not_exists"),
    updateError("SET a = list_append(b)", "Invalid UpdateExpression: Incorrect number of operands for operator or function; operator or function: list_append, number of operands: 1"),
    updateError("SET a = list_append(b, :v)", values: #"{":v":{"S":"x"}}"#, "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: list_append, operand type: S"),
    updateError("SET a = b + :v", values: #"{":v":{"S":"x"}}"#, "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: +, operand type: S"),
    updateError("ADD a :v", values: #"{":v":{"S":"x"}}"#, "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: STRING"),
    updateError("ADD a :v", values: #"{":v":{"L":[]}}"#, "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: LIST"),
    updateError("DELETE a :v", values: #"{":v":{"N":"1"}}"#, "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE, operand type: NUMBER"),
    // Update expression errors: applying to the item.
    updateError("SET a = b", "The provided expression refers to an attribute that does not exist in the item"),
    updateError("SET a = list_append(b, :v)", values: #"{":v":{"L":[]}}"#, "The provided expression refers to an attribute that does not exist in the item"),
    updateErrorOn(#"{"b":{"S":"x"}}"#, "SET a = b + :v", values: #"{":v":{"N":"1"}}"#, "An operand in the update expression has an incorrect data type"),
    updateErrorOn(#"{"b":{"S":"x"}}"#, "SET b = list_append(b, :v)", values: #"{":v":{"L":[]}}"#, "An operand in the update expression has an incorrect data type"),
    updateErrorOn(#"{"a":{"S":"x"}}"#, "ADD a :v", values: #"{":v":{"N":"1"}}"#, "An operand in the update expression has an incorrect data type"),
    updateErrorOn(#"{"a":{"NS":["1"]}}"#, "ADD a :v", values: #"{":v":{"SS":["1"]}}"#, "An operand in the update expression has an incorrect data type"),
    updateErrorOn(#"{"a":{"NS":["1"]}}"#, "DELETE a :v", values: #"{":v":{"SS":["1"]}}"#, "An operand in the update expression has an incorrect data type"),
    updateError("SET a.b = :v", values: #"{":v":{"N":"1"}}"#, "The document path provided in the update expression is invalid for update"),
    updateErrorOn(#"{"a":{"S":"x"}}"#, "SET a.b = :v", values: #"{":v":{"N":"1"}}"#, "The document path provided in the update expression is invalid for update"),
    updateErrorOn(#"{"a":{"M":{}}}"#, "SET a[0] = :v", values: #"{":v":{"N":"1"}}"#, "The document path provided in the update expression is invalid for update"),
    updateErrorOn(#"{"a":{"L":[]}}"#, "SET a[3].b = :v", values: #"{":v":{"N":"1"}}"#, "The document path provided in the update expression is invalid for update"),
    updateError("REMOVE a.b", "The document path provided in the update expression is invalid for update"),
    updateErrorOn(#"{"a":{"N":"9.9E+125"}}"#, "SET a = a + a", "Number overflow. Attempting to store a number with magnitude larger than supported range"),
    updateErrorOn(#"{"a":{"N":"1E+100"}}"#, "ADD a :v", values: #"{":v":{"N":"1"}}"#, "Attempting to store more than 38 significant digits in a Number"),

    // Projection expressions ("Using projection expressions in DynamoDB", Developer Guide).
    projection(product, "Description, RelatedItems[0], ProductReviews.FiveStar",
               #"{"ProductReviews":{"M":{"FiveStar":{"L":[{"S":"Excellent! Can't recommend it highly enough! Buy it!"},{"S":"Do yourself a favor and buy this."}]}}}}"#),
    projection(product, "Price, Brand", #"{"Price":{"N":"650"},"Brand":{"S":"Acme Company"}}"#),
    projection(product, "#p", names: ["#p": "Price"], #"{"Price":{"N":"650"}}"#),
    projection(product, "Pictures.SideView, Pictures.RearView", #"{"Pictures":{"M":{"SideView":{"S":"http://example.com/products/456_left_side.jpg"}}}}"#),
    projection(product, "Tags[2].deep, Tags[0]", #"{"Tags":{"L":[{"S":"outdoor"},{"M":{"deep":{"S":"x"}}}]}}"#),
    projection(product, "Tags[7], Nothing", "{}"),
    projection(product, "Brand.Nested", "{}"),
    ExpressionCase(kind: .projection, item: "{}", expression: "a, a.b", names: [:], values: "{}",
                   expected: "error: Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]"),
    ExpressionCase(kind: .projection, item: "{}", expression: "a.b, a[0]", names: [:], values: "{}",
                   expected: "error: Invalid ProjectionExpression: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, b], path two: [a, [0]]"),
    ExpressionCase(kind: .projection, item: "{}", expression: "Name", names: [:], values: "{}",
                   expected: "error: Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: Name"),
    ExpressionCase(kind: .projection, item: "{}", expression: "a,", names: [:], values: "{}",
                   expected: "error: Invalid ProjectionExpression: Syntax error; token: \"<EOF>\", near: \",\""),
    ExpressionCase(kind: .projection, item: "{}", expression: "#x", names: [:], values: "{}",
                   expected: "error: Invalid ProjectionExpression: An expression attribute name used in the document path is not defined; attribute name: #x"),

    // Key conditions ("Query operations in DynamoDB": key condition expressions).
    key(hashOnly, "LockID = :id", values: #"{":id":{"S":"state"}}"#, "hash=S:state"),
    key(hashOnly, ":id = #k", names: ["#k": "LockID"], values: #"{":id":{"S":"state"}}"#, "hash=S:state"),
    key(hashRange, "pk = :p AND sk > :s", values: #"{":p":{"S":"a"},":s":{"N":"5"}}"#, "hash=S:a range=greater(N:5)"),
    key(hashRange, ":s < sk AND pk = :p", values: #"{":p":{"S":"a"},":s":{"N":"5"}}"#, "hash=S:a range=greater(N:5)"),
    key(hashRange, "pk = :p and sk between :lo and :hi", values: #"{":p":{"S":"a"},":lo":{"N":"1"},":hi":{"N":"9"}}"#, "hash=S:a range=between(N:1,N:9)"),
    key(hashRange, "(pk = :p) AND (sk <= :s)", values: #"{":p":{"S":"a"},":s":{"N":"5"}}"#, "hash=S:a range=lessOrEqual(N:5)"),
    key(KeySchema(hash: KeyAttribute(name: "pk", type: .string), range: KeyAttribute(name: "sk", type: .string)),
        "pk = :p AND begins_with(sk, :s)", values: #"{":p":{"S":"a"},":s":{"S":"2024-"}}"#, "hash=S:a range=beginsWith(S:2024-)"),
    key(hashRange, "pk = :p", values: #"{":p":{"S":"a"}}"#, "hash=S:a"),
    key(hashRange, "sk = :s", values: #"{":s":{"N":"1"}}"#, "error: Query condition missed key schema element: pk"),
    key(hashRange, "pk = :p AND extra = :s", values: #"{":p":{"S":"a"},":s":{"N":"1"}}"#, "error: Query condition missed key schema element: sk"),
    key(hashOnly, "LockID = :p AND extra = :s", values: #"{":p":{"S":"a"},":s":{"N":"1"}}"#, "error: Query key condition not supported"),
    key(hashOnly, "LockID > :p", values: #"{":p":{"S":"a"}}"#, "error: Query key condition not supported"),
    key(hashOnly, "begins_with(LockID, :p)", values: #"{":p":{"S":"a"}}"#, "error: Query key condition not supported"),
    key(hashOnly, "LockID = :p", values: #"{":p":{"N":"1"}}"#, "error: One or more parameter values were invalid: Condition parameter type does not match schema type"),
    key(hashRange, "pk = :p OR sk = :s", values: #"{":p":{"S":"a"},":s":{"N":"1"}}"#, "error: Invalid operator used in KeyConditionExpression: OR"),
    key(hashRange, "pk = :p AND NOT sk = :s", values: #"{":p":{"S":"a"},":s":{"N":"1"}}"#, "error: Invalid operator used in KeyConditionExpression: NOT"),
    key(hashRange, "pk = :p AND sk <> :s", values: #"{":p":{"S":"a"},":s":{"N":"1"}}"#, "error: Invalid operator used in KeyConditionExpression: <>"),
    key(hashRange, "pk IN (:p)", values: #"{":p":{"S":"a"}}"#, "error: Invalid operator used in KeyConditionExpression: IN"),
    key(hashRange, "attribute_exists(pk)", values: "{}", "error: Invalid operator used in KeyConditionExpression: attribute_exists"),
    key(hashRange, "pk = sk", values: "{}", "error: Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition"),
    key(hashRange, ":p = :p", values: #"{":p":{"S":"a"}}"#, "error: Invalid condition in KeyConditionExpression: No key attribute specified"),
    key(hashRange, "pk.x = :p", values: #"{":p":{"S":"a"}}"#, "error: KeyConditionExpressions cannot have conditions on nested attributes"),
    key(hashRange, "size(pk) = :p", values: #"{":p":{"N":"1"}}"#, "error: KeyConditionExpressions cannot contain nested operations"),
    key(hashRange, "pk = :p AND pk = :p", values: #"{":p":{"S":"a"}}"#, "error: KeyConditionExpressions must only contain one condition per key"),
    key(hashRange, "pk = :p AND :lo BETWEEN sk AND :hi", values: #"{":p":{"S":"a"},":lo":{"N":"1"},":hi":{"N":"2"}}"#,
        "error: Invalid condition in KeyConditionExpression: BETWEEN operator must have the key attribute as its first operand"),
    key(hashRange, "pk = :p AND sk = ", values: #"{":p":{"S":"a"}}"#, "error: Invalid KeyConditionExpression: Syntax error; token: \"<EOF>\", near: \"= \""),
    key(hashRange, "pk = :p AND sk = :s", values: #"{":p":{"S":"a"}}"#, "error: Invalid KeyConditionExpression: An expression attribute value used in expression is not defined; attribute value: :s"),

    // Legacy Expected ("Legacy conditional parameters: Expected", Developer Guide), as Terraform's lock table uses it.
    ExpressionCase(kind: .expected, item: "{}", expression: #"{"LockID":{"Exists":false}}"#, names: [:], values: "{}", expected: "true"),
    ExpressionCase(kind: .expected, item: #"{"LockID":{"S":"x"}}"#, expression: #"{"LockID":{"Exists":false}}"#, names: [:], values: "{}", expected: "false"),
    ExpressionCase(kind: .expected, item: #"{"Info":{"S":"x"}}"#, expression: #"{"Info":{"Value":{"S":"x"}}}"#, names: [:], values: "{}", expected: "true"),
    ExpressionCase(kind: .expected, item: #"{"Info":{"S":"y"}}"#, expression: #"{"Info":{"Value":{"S":"x"},"Exists":true}}"#, names: [:], values: "{}", expected: "false"),
    ExpressionCase(kind: .expected, item: #"{"Price":{"N":"5"}}"#, expression: #"{"Price":{"ComparisonOperator":"GT","AttributeValueList":[{"N":"3"}]}}"#, names: [:], values: "{}", expected: "true"),
    ExpressionCase(kind: .expected, item: #"{"Price":{"N":"5"}}"#, expression: #"{"Price":{"ComparisonOperator":"BETWEEN","AttributeValueList":[{"N":"6"},{"N":"9"}]}}"#, names: [:], values: "{}", expected: "false"),
    ExpressionCase(kind: .expected, item: "{}", expression: #"{"a":{"ComparisonOperator":"NULL"},"b":{"ComparisonOperator":"NOT_NULL"}}"#, names: [:], values: "{}", expected: "false"),
    ExpressionCase(kind: .expected, item: "{}", expression: #"{"a":{"Value":{"S":"x"}}}"#, names: [:], values: "{}", expected: "false"),
    ExpressionCase(kind: .expected, item: #"{"a":{"SS":["x","y"]}}"#, expression: #"{"a":{"ComparisonOperator":"NOT_CONTAINS","AttributeValueList":[{"S":"z"}]}}"#, names: [:], values: "{}", expected: "true"),
    ExpressionCase(kind: .expected, item: "{}", expression: #"{"a":{"Exists":true}}"#, names: [:], values: "{}",
                   expected: "error: One or more parameter values were invalid: Value must be provided when Exists is true for Attribute: a"),
    ExpressionCase(kind: .expected, item: "{}", expression: #"{"a":{}}"#, names: [:], values: "{}",
                   expected: "error: One or more parameter values were invalid: Value must be provided when Exists is null for Attribute: a"),
    ExpressionCase(kind: .expected, item: "{}", expression: #"{"a":{"Exists":false,"Value":{"S":"x"}}}"#, names: [:], values: "{}",
                   expected: "error: One or more parameter values were invalid: Value cannot be used when Exists is false for Attribute: a"),
    ExpressionCase(kind: .expected, item: "{}", expression: #"{"a":{"Exists":true,"ComparisonOperator":"EQ","AttributeValueList":[{"S":"x"}]}}"#, names: [:], values: "{}",
                   expected: "error: One or more parameter values were invalid: Exists and ComparisonOperator cannot be used together for Attribute: a"),
    ExpressionCase(kind: .expected, item: "{}", expression: #"{"a":{"ComparisonOperator":"EQ","AttributeValueList":[{"S":"x"},{"S":"y"}]}}"#, names: [:], values: "{}",
                   expected: "error: One or more parameter values were invalid: Invalid number of argument(s) for the EQ ComparisonOperator"),
    ExpressionCase(kind: .expected, item: "{}", expression: #"{"a":{"ComparisonOperator":"LT","AttributeValueList":[{"SS":["x"]}]}}"#, names: [:], values: "{}",
                   expected: "error: One or more parameter values were invalid: ComparisonOperator LT is not valid for SS AttributeValue type"),
    ExpressionCase(kind: .expected, item: "{}", expression: #"{"a":{"ComparisonOperator":"IN","AttributeValueList":[{"S":"x"},{"N":"1"}]}}"#, names: [:], values: "{}",
                   expected: "error: One or more parameter values were invalid: AttributeValues inside AttributeValueList must be of same type"),
    ExpressionCase(kind: .expected, item: "{}", expression: #"{"a":{"ComparisonOperator":"BETWEEN","AttributeValueList":[{"N":"9"},{"N":"1"}]}}"#, names: [:], values: "{}",
                   expected: "error: The BETWEEN condition was provided a range where the lower bound is greater than the upper bound"),
    ExpressionCase(kind: .expected, item: "{}", expression: #"{"a":{"ComparisonOperator":"EQUALS","AttributeValueList":[{"S":"x"}]}}"#, names: [:], values: "{}",
                   expected: "error: 1 validation error detected: Value 'EQUALS' at 'expected.a.member.comparisonOperator' failed to satisfy constraint: Member must satisfy enum value set: [IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]"),
    ExpressionCase(kind: .scanFilter, item: #"{"a":{"N":"1"},"b":{"S":"x"}}"#, expression: #"{"a":{"ComparisonOperator":"GE","AttributeValueList":[{"N":"1"}]},"b":{"ComparisonOperator":"BEGINS_WITH","AttributeValueList":[{"S":"y"}]}}"#,
                   names: [:], values: "{}", expected: "false"),
    ExpressionCase(kind: .scanFilter, item: #"{"a":{"N":"1"},"b":{"S":"x"}}"#, expression: #"{"a":{"ComparisonOperator":"GE","AttributeValueList":[{"N":"1"}]},"b":{"ComparisonOperator":"BEGINS_WITH","AttributeValueList":[{"S":"y"}]}}"#,
                   names: [:], values: "OR", expected: "true"),
    ExpressionCase(kind: .scanFilter, item: "{}", expression: #"{"a":{"AttributeValueList":[{"N":"1"}]}}"#, names: [:], values: "{}",
                   expected: "error: 1 validation error detected: Value null at 'scanFilter.a.member.comparisonOperator' failed to satisfy constraint: Member must not be null"),

    // Legacy AttributeUpdates ("Legacy conditional parameters: AttributeUpdates").
    ExpressionCase(kind: .attributeUpdates, item: #"{"LockID":{"S":"x"}}"#, expression: #"{"Info":{"Action":"PUT","Value":{"S":"held"}}}"#, names: [:], values: "{}",
                   expected: #"{"LockID":{"S":"x"},"Info":{"S":"held"}}"#),
    ExpressionCase(kind: .attributeUpdates, item: #"{"Info":{"S":"x"}}"#, expression: #"{"Info":{"Action":"DELETE"}}"#, names: [:], values: "{}", expected: "{}"),
    ExpressionCase(kind: .attributeUpdates, item: #"{"n":{"N":"1"},"l":{"L":[{"S":"a"}]}}"#, expression: #"{"n":{"Action":"ADD","Value":{"N":"2"}},"l":{"Action":"ADD","Value":{"L":[{"S":"b"}]}}}"#,
                   names: [:], values: "{}", expected: #"{"n":{"N":"3"},"l":{"L":[{"S":"a"},{"S":"b"}]}}"#),
    ExpressionCase(kind: .attributeUpdates, item: #"{"s":{"SS":["a","b"]}}"#, expression: #"{"s":{"Action":"DELETE","Value":{"SS":["a"]}}}"#, names: [:], values: "{}", expected: #"{"s":{"SS":["b"]}}"#),
    ExpressionCase(kind: .attributeUpdates, item: "{}", expression: #"{"x":{"Value":{"N":"7"}}}"#, names: [:], values: "{}", expected: #"{"x":{"N":"7"}}"#),
    ExpressionCase(kind: .attributeUpdates, item: "{}", expression: #"{"x":{"Action":"PUT"}}"#, names: [:], values: "{}",
                   expected: "error: One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified"),
    ExpressionCase(kind: .attributeUpdates, item: "{}", expression: #"{"x":{"Action":"DELETE","Value":{"S":"a"}}}"#, names: [:], values: "{}",
                   expected: "error: One or more parameter values were invalid: DELETE action with value is not supported for the type S"),
    ExpressionCase(kind: .attributeUpdates, item: "{}", expression: #"{"x":{"Action":"ADD","Value":{"S":"a"}}}"#, names: [:], values: "{}",
                   expected: "error: One or more parameter values were invalid: ADD action is not supported for the type S"),
    ExpressionCase(kind: .attributeUpdates, item: "{}", expression: #"{"x":{"Action":"REPLACE","Value":{"S":"a"}}}"#, names: [:], values: "{}",
                   expected: "error: 1 validation error detected: Value 'REPLACE' at 'attributeUpdates.x.member.action' failed to satisfy constraint: Member must satisfy enum value set: [ADD, PUT, DELETE]"),
    ExpressionCase(kind: .attributeUpdates, item: #"{"x":{"S":"a"}}"#, expression: #"{"x":{"Action":"ADD","Value":{"N":"1"}}}"#, names: [:], values: "{}",
                   expected: "error: One or more parameter values were invalid: Type mismatch for attribute to update"),
]
