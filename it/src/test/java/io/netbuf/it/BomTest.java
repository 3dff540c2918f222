package io.netbuf.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * {@code netbuf-bom} lists exactly the published modules (those that build sources and javadoc jars),
 * at the build's version: a module added to the reactor without it fails here.
 */
class BomTest {
    private static final Path ROOT = Path.of("").toAbsolutePath().getParent();

    private static Document read(Path pom) throws Exception {
        return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(pom.toFile());
    }

    /** @return the text of the direct children named {@code name} of {@code parent} */
    private static List<String> children(Element parent, String name) {
        List<String> values = new ArrayList<>();
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals(name)) {
                values.add(e.getTextContent().strip());
            }
        }
        return values;
    }

    private static Element child(Element parent, String name) {
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals(name)) {
                return e;
            }
        }
        return null;
    }

    @Test
    void theBomListsEveryPublishedModuleAtTheBuildsVersion() throws Exception {
        Element parent = read(ROOT.resolve("pom.xml")).getDocumentElement();
        Set<String> published = new TreeSet<>();
        for (String module : children(child(parent, "modules"), "module")) {
            Element pom = read(ROOT.resolve(module).resolve("pom.xml")).getDocumentElement();
            Element properties = child(pom, "properties");
            boolean docsSkipped = properties != null && children(properties, "netbuf.docs.skip").contains("true");
            List<String> packaging = children(pom, "packaging");
            if (!docsSkipped && (packaging.isEmpty() || packaging.contains("jar"))) {
                published.add(children(pom, "artifactId").get(0));
            }
        }
        Element bom = read(ROOT.resolve("bom/pom.xml")).getDocumentElement();
        Set<String> listed = new TreeSet<>();
        for (Node n = bom.getElementsByTagName("dependency").item(0); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e) {
                listed.add(children(e, "artifactId").get(0));
                assertEquals("${project.version}", children(e, "version").get(0));
            }
        }
        assertEquals(published, listed, "bom/pom.xml lists the published modules");
        assertEquals(children(parent, "version"), children(bom, "version"), "the BOM's version is the build's");
        assertEquals(true, Files.isRegularFile(ROOT.resolve("LICENSE")));
    }
}
