using System.Diagnostics;
using System.Runtime;
using Exchange.LoadTest;

if (args.Length > 0 && args[0] == "paired-bl") return PairedBusinessLogic.Run(args[1..]);
var options = LoadTestOptions.Parse(args);
if (options is null) return 2;
Directory.CreateDirectory(options.OutputDirectory);
var report = new Report();

report.Line($"## Load test, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
report.Line();
report.Line($"`Exchange.LoadTest {string.Join(' ', args)}` on {Environment.ProcessorCount} logical CPUs, .NET {Environment.Version}, " +
            $"{(GCSettings.IsServerGC ? "server" : "workstation")} GC, {LoadAverage()}.");
report.Line();

var failures = 0;
void Mode(int defaultCommands, Action<Workload, RunChecks> run)
{
    var spec = options.Workload(defaultCommands);
    Report.Note($"generating {spec.Commands:N0} commands ({spec.Describe()}) ...");
    var workload = new WorkloadGenerator(spec).Generate();
    Report.Note($"  generated in {workload.Stats.GenerationTime.TotalSeconds:F1} s");
    if (options.Tokens) workload.StampTokens();
    var checks = new RunChecks(workload);
    if (options.ModelCommands > 0)
    {
        Report.Note($"checking the first {Math.Min(options.ModelCommands, spec.Commands):N0} commands against the reference model ...");
        var clock = Stopwatch.StartNew();
        var verdict = checks.CompareWithModel(options.ModelCommands);
        report.Line($"- Model check ({clock.Elapsed.TotalSeconds:F1} s): {verdict}.");
        report.Line();
    }
    run(workload, checks);
    failures += checks.Failures;
}

if (options.RunBusinessLogic)
    Mode(3_000_000, (w, c) => new BusinessLogicRun(w, c, report, options.OutputDirectory, options.ProfileKind).Run());
if (options.RunPipeline)
    Mode(1_000_000, (w, c) => new PipelineLadder(w, c, report, options, options.OutputDirectory).Run());

if (options.RunTcp)
{
    var tcp = new TcpRun(options, report, options.OutputDirectory);
    tcp.Run();
    failures += tcp.Failures;
}

if (options.RunSustained)
{
    var sustained = new SustainedRun(options, report);
    sustained.Run();
    failures += sustained.Failures;
}

report.Line($"Load average at the end: {LoadAverage()}. Output: {Path.GetFullPath(options.OutputDirectory)}");
report.Save(Path.Combine(options.OutputDirectory, "summary.md"));
if (failures > 0) Console.Error.WriteLine($"{failures} check(s) FAILED");
return failures > 0 ? 1 : 0;

static string LoadAverage()
{
    try { return "load average " + string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
    catch (IOException) { return "load average unknown"; }
}
