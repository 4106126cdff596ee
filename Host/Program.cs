using RobustNode.Host.Composition;

return CompositionRoot.Run(args, HostContext.Process);
