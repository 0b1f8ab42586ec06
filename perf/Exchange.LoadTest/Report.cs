using System.Text;

namespace Exchange.LoadTest;

/// <summary>What a run prints, in markdown, kept to be saved as <c>summary.md</c> beside the histograms.</summary>
internal sealed class Report
{
    private readonly StringBuilder _text = new();

    public void Line(string line = "")
    {
        Console.WriteLine(line);
        _text.AppendLine(line);
    }

    /// <summary>A progress note: printed, not kept.</summary>
    public static void Note(string line) => Console.Error.WriteLine(line);

    public void Save(string path) => File.WriteAllText(path, _text.ToString());
}
