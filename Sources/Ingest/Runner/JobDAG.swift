import Scheduler

/// The DAGs of a job, composed from the stages: bronze, silver and gold, their union, and
/// gold alone for a job that stopped early.
///
/// Each stage owns its tasks and artifacts; this file only says which artifacts cross
/// from one layer to the next. A job whose bronze or silver fails still goes through
/// `goldForFailure`, so that every request, good or bad, is recorded and its sender told.
public struct JobDAGs: Sendable {
    public let bronze: DAG
    public let silver: DAG
    public let gold: DAG
    /// Bronze, silver and gold as one DAG: what a job runs.
    public let whole: DAG
    /// Gold's commit and delivery alone, fed a `JobResult` describing a failure.
    public let goldForFailure: DAG

    init(bronze bronzeStage: BronzeStage, silver silverStage: SilverStage, gold goldStage: GoldStage) throws {
        var bronze = DAGBuilder(name: "bronze")
        bronze.input(JobTicket.artifact)
        bronzeStage.addTasks(to: &bronze)
        self.bronze = try bronze.build()

        var silver = DAGBuilder(name: "silver")
        silver.input(JobTicket.artifact)
        silver.input(BronzeStage.file)
        silver.input(BronzeStage.staged)
        silver.input(BronzeStage.probe)
        silver.input(BronzeStage.newContent)
        silverStage.addTasks(to: &silver)
        self.silver = try silver.build()

        var gold = DAGBuilder(name: "gold")
        gold.input(JobTicket.artifact)
        gold.input(BronzeStage.file)
        gold.input(BronzeStage.sidecar)
        gold.input(BronzeStage.hash)
        gold.input(BronzeStage.probe)
        gold.input(BronzeStage.newContent)
        gold.input(BronzeStage.staged)
        gold.input(SilverStage.media)
        gold.input(SilverStage.files)
        gold.input(SilverStage.policy)
        gold.input(SilverStage.page)
        goldStage.addSummary(to: &gold)
        goldStage.addCommit(to: &gold)
        self.gold = try gold.build()

        // Merged rather than rebuilt, so the Graphviz output keeps one cluster per layer.
        self.whole = try DAG(name: "job", merging: [self.bronze, self.silver, self.gold])

        var failure = DAGBuilder(name: "gold-for-failure")
        failure.input(JobTicket.artifact)
        failure.input(GoldStage.result)
        goldStage.addCommit(to: &failure)
        self.goldForFailure = try failure.build()
    }
}
