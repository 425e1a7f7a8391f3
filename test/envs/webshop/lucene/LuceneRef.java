// Reference rankings from real Lucene 8 for the webshop search tests (run by gen-fixtures.sh; needs a JDK and
// Debian's liblucene8-java). Builds pyserini's analyzer chain and BM25(k1=0.9, b=0.4) over the given documents,
// ranks each query as a bag of words (repeated words boost their term), breaks score ties by id.
//   java -cp "$CP" LuceneRef.java tokens TEXTS_FILE            -> one line of space-joined terms per input line
//   java -cp "$CP" LuceneRef.java search DOCS_TSV QUERIES K    -> per query: id score id score ...
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.util.*;
import org.apache.lucene.analysis.*;
import org.apache.lucene.analysis.en.*;
import org.apache.lucene.analysis.standard.StandardTokenizer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.document.*;
import org.apache.lucene.index.*;
import org.apache.lucene.search.*;
import org.apache.lucene.search.similarities.BM25Similarity;
import org.apache.lucene.store.ByteBuffersDirectory;
import org.apache.lucene.util.BytesRef;

public class LuceneRef {
  static Analyzer analyzer() {
    return new Analyzer() {
      @Override
      protected TokenStreamComponents createComponents(String field) {
        Tokenizer source = new StandardTokenizer();
        TokenStream result = new EnglishPossessiveFilter(source);
        result = new LowerCaseFilter(result);
        result = new StopFilter(result, EnglishAnalyzer.ENGLISH_STOP_WORDS_SET);
        result = new PorterStemFilter(result);
        return new TokenStreamComponents(source, result);
      }
    };
  }

  static List<String> terms(Analyzer a, String text) throws Exception {
    List<String> out = new ArrayList<>();
    try (TokenStream ts = a.tokenStream("contents", text)) {
      CharTermAttribute term = ts.addAttribute(CharTermAttribute.class);
      ts.reset();
      while (ts.incrementToken()) out.add(term.toString());
      ts.end();
    }
    return out;
  }

  public static void main(String[] args) throws Exception {
    Analyzer a = analyzer();
    if (args[0].equals("tokens")) {
      for (String line : Files.readAllLines(Paths.get(args[1]), StandardCharsets.UTF_8)) System.out.println(String.join(" ", terms(a, line)));
      return;
    }
    ByteBuffersDirectory dir = new ByteBuffersDirectory();
    IndexWriterConfig cfg = new IndexWriterConfig(a).setSimilarity(new BM25Similarity(0.9f, 0.4f));
    try (IndexWriter w = new IndexWriter(dir, cfg)) {
      for (String line : Files.readAllLines(Paths.get(args[1]), StandardCharsets.UTF_8)) {
        int tab = line.indexOf('\t');
        Document d = new Document();
        d.add(new StringField("id", line.substring(0, tab), Field.Store.YES));
        d.add(new SortedDocValuesField("id", new BytesRef(line.substring(0, tab))));
        d.add(new TextField("contents", line.substring(tab + 1), Field.Store.NO));
        w.addDocument(d);
      }
    }
    int k = Integer.parseInt(args[3]);
    IndexSearcher s = new IndexSearcher(DirectoryReader.open(dir));
    s.setSimilarity(new BM25Similarity(0.9f, 0.4f));
    Sort sort = new Sort(SortField.FIELD_SCORE, new SortField("id", SortField.Type.STRING));
    for (String q : Files.readAllLines(Paths.get(args[2]), StandardCharsets.UTF_8)) {
      Map<String, Integer> counts = new LinkedHashMap<>();
      for (String t : terms(a, q)) counts.merge(t, 1, Integer::sum);
      BooleanQuery.Builder b = new BooleanQuery.Builder();
      for (Map.Entry<String, Integer> e : counts.entrySet())
        b.add(new BoostQuery(new TermQuery(new Term("contents", e.getKey())), e.getValue()), BooleanClause.Occur.SHOULD);
      StringBuilder sb = new StringBuilder();
      if (!counts.isEmpty()) {
        TopFieldDocs top = s.search(b.build(), k, sort, true);
        for (ScoreDoc sd : top.scoreDocs) {
          if (sb.length() > 0) sb.append(' ');
          sb.append(s.doc(sd.doc).get("id")).append(' ').append(sd.score);
        }
      }
      System.out.println(sb);
    }
  }
}
