package io.netbuf.impl.tools;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small, strict JSON reader (RFC 8259) for the output of {@code ip -j} and {@code tc -j}.
 * Objects become {@code Map<String, Object>} (key order kept), arrays {@code List<Object>},
 * numbers {@code Long} when integral and in range, {@code Double} otherwise, plus
 * {@code String}, {@code Boolean} and {@code null}. A member name that repeats in one object (as
 * {@code tc} prints each key of a u32 filter as {@code "match"}) is kept under {@code name#2},
 * {@code name#3}, ... (see {@link #repeated}). Malformed input is an
 * {@link IllegalArgumentException} naming the offset. Stateless and thread-safe.
 */
final class IprouteJson {
    /** Deeper nesting than this is rejected instead of overflowing the stack. */
    static final int MAX_DEPTH = 64;

    private final String text;
    private int pos;

    private IprouteJson(String text) {
        this.text = text;
    }

    /**
     * Parses one JSON document (surrounding whitespace allowed).
     *
     * @param text the document
     * @return its value
     * @throws IllegalArgumentException if it is not exactly one valid JSON value
     */
    static Object parse(String text) {
        IprouteJson reader = new IprouteJson(text);
        reader.skipWhitespace();
        Object value = reader.value(0);
        reader.skipWhitespace();
        if (reader.pos != text.length()) {
            throw reader.error("trailing data");
        }
        return value;
    }

    /**
     * @param value a parsed value
     * @param what what the value should be, for the error
     * @return the value as a list of objects
     * @throws IllegalArgumentException if it is not an array of objects
     */
    static List<Map<String, Object>> objects(Object value, String what) {
        if (!(value instanceof List)) {
            throw new IllegalArgumentException(what + ": expected a JSON array, got " + typeOf(value));
        }
        List<Map<String, Object>> out = new ArrayList<>();
        for (Object element : (List<?>) value) {
            out.add(object(element, what + " element"));
        }
        return out;
    }

    /**
     * @param value a parsed value
     * @param what what the value should be, for the error
     * @return the value as an object
     * @throws IllegalArgumentException if it is not an object
     */
    @SuppressWarnings("unchecked")
    static Map<String, Object> object(Object value, String what) {
        if (!(value instanceof Map)) {
            throw new IllegalArgumentException(what + ": expected a JSON object, got " + typeOf(value));
        }
        return (Map<String, Object>) value;
    }

    /**
     * @param object an object
     * @param key a member name
     * @return the member as a string, or null when absent or not a string
     */
    static String string(Map<String, Object> object, String key) {
        Object value = object.get(key);
        return value instanceof String ? (String) value : null;
    }

    /**
     * @param object an object
     * @param key a member name
     * @param fallback the result when the member is absent or not an integer
     * @return the member as a long
     */
    static long number(Map<String, Object> object, String key, long fallback) {
        Object value = object.get(key);
        return value instanceof Long ? (Long) value : fallback;
    }

    /**
     * @param object an object
     * @param key a member name
     * @return the member as an object, or an empty map when absent or not an object
     */
    static Map<String, Object> child(Map<String, Object> object, String key) {
        Object value = object.get(key);
        return value instanceof Map ? object(value, key) : Map.of();
    }

    /**
     * @param object an object
     * @param key a member name
     * @return the member as a list, or an empty list when absent or not an array
     */
    static List<?> array(Map<String, Object> object, String key) {
        Object value = object.get(key);
        return value instanceof List ? (List<?>) value : List.of();
    }

    /**
     * @param object a JSON object
     * @param key a member name
     * @return how many times the member appeared in the object (see the class comment)
     */
    static int repeated(Map<String, Object> object, String key) {
        int n = 0;
        while (object.containsKey(n == 0 ? key : key + "#" + (n + 1))) {
            n++;
        }
        return n;
    }

    private static String typeOf(Object value) {
        return value == null ? "null" : value.getClass().getSimpleName();
    }

    private Object value(int depth) {
        if (depth > MAX_DEPTH) {
            throw error("nesting deeper than " + MAX_DEPTH);
        }
        if (pos >= text.length()) {
            throw error("unexpected end of input");
        }
        char c = text.charAt(pos);
        switch (c) {
            case '{':
                return object(depth);
            case '[':
                return array(depth);
            case '"':
                return string();
            case 't':
                literal("true");
                return Boolean.TRUE;
            case 'f':
                literal("false");
                return Boolean.FALSE;
            case 'n':
                literal("null");
                return null;
            default:
                if (c == '-' || (c >= '0' && c <= '9')) {
                    return number();
                }
                throw error("unexpected character '" + c + "'");
        }
    }

    private Map<String, Object> object(int depth) {
        pos++;
        Map<String, Object> members = new LinkedHashMap<>();
        skipWhitespace();
        if (peek() == '}') {
            pos++;
            return Collections.unmodifiableMap(members);
        }
        while (true) {
            skipWhitespace();
            if (peek() != '"') {
                throw error("expected a member name");
            }
            String key = string();
            skipWhitespace();
            expect(':');
            skipWhitespace();
            Object value = value(depth + 1);
            String name = key;
            for (int n = 2; members.containsKey(name); n++) {
                name = key + "#" + n;
            }
            members.put(name, value);
            skipWhitespace();
            char c = next();
            if (c == '}') {
                return Collections.unmodifiableMap(members);
            }
            if (c != ',') {
                pos--;
                throw error("expected ',' or '}'");
            }
        }
    }

    private List<Object> array(int depth) {
        pos++;
        List<Object> elements = new ArrayList<>();
        skipWhitespace();
        if (peek() == ']') {
            pos++;
            return Collections.unmodifiableList(elements);
        }
        while (true) {
            skipWhitespace();
            elements.add(value(depth + 1));
            skipWhitespace();
            char c = next();
            if (c == ']') {
                return Collections.unmodifiableList(elements);
            }
            if (c != ',') {
                pos--;
                throw error("expected ',' or ']'");
            }
        }
    }

    private String string() {
        pos++;
        StringBuilder out = new StringBuilder();
        while (true) {
            char c = next();
            if (c == '"') {
                return out.toString();
            }
            if (c < 0x20) {
                pos--;
                throw error("unescaped control character in string");
            }
            if (c != '\\') {
                out.append(c);
                continue;
            }
            char e = next();
            switch (e) {
                case '"':
                case '\\':
                case '/':
                    out.append(e);
                    break;
                case 'b':
                    out.append('\b');
                    break;
                case 'f':
                    out.append('\f');
                    break;
                case 'n':
                    out.append('\n');
                    break;
                case 'r':
                    out.append('\r');
                    break;
                case 't':
                    out.append('\t');
                    break;
                case 'u':
                    out.append(unicodeEscape());
                    break;
                default:
                    pos--;
                    throw error("bad escape '\\" + e + "'");
            }
        }
    }

    private char unicodeEscape() {
        if (pos + 4 > text.length()) {
            throw error("truncated \\u escape");
        }
        int code = 0;
        for (int i = 0; i < 4; i++) {
            int digit = Character.digit(text.charAt(pos++), 16);
            if (digit < 0) {
                pos--;
                throw error("bad hex digit in \\u escape");
            }
            code = code * 16 + digit;
        }
        return (char) code;
    }

    private Object number() {
        int start = pos;
        if (peek() == '-') {
            pos++;
        }
        if (peek() == '0') {
            pos++;
        } else if (!digits()) {
            throw error("expected a digit");
        }
        boolean integral = true;
        if (peek() == '.') {
            pos++;
            integral = false;
            if (!digits()) {
                throw error("expected a digit after '.'");
            }
        }
        if (peek() == 'e' || peek() == 'E') {
            pos++;
            integral = false;
            if (peek() == '+' || peek() == '-') {
                pos++;
            }
            if (!digits()) {
                throw error("expected a digit in the exponent");
            }
        }
        String literal = text.substring(start, pos);
        if (integral) {
            try {
                return Long.parseLong(literal);
            } catch (NumberFormatException tooLarge) {
                return Double.parseDouble(literal);
            }
        }
        return Double.parseDouble(literal);
    }

    private boolean digits() {
        int start = pos;
        while (pos < text.length() && text.charAt(pos) >= '0' && text.charAt(pos) <= '9') {
            pos++;
        }
        return pos > start;
    }

    private void literal(String word) {
        if (!text.startsWith(word, pos)) {
            throw error("expected '" + word + "'");
        }
        pos += word.length();
    }

    private void expect(char c) {
        if (peek() != c) {
            throw error("expected '" + c + "'");
        }
        pos++;
    }

    private char peek() {
        return pos < text.length() ? text.charAt(pos) : '\0';
    }

    private char next() {
        if (pos >= text.length()) {
            throw error("unexpected end of input");
        }
        return text.charAt(pos++);
    }

    private void skipWhitespace() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            pos++;
        }
    }

    private IllegalArgumentException error(String what) {
        return new IllegalArgumentException("malformed JSON at offset " + pos + ": " + what);
    }
}
