package demo

// ReadBack is how to read what the story left back with the AWS CLI, for
// `demo --keep`: the central registry's copies and the model card in the
// governance account (its versions, evaluation details and where each
// version runs), prod's network, isolation, volume key, data capture, tags
// and autoscaling, the tags on its model package group, and credit-risk's
// serverless endpoint in staging. $F is the emulators' connection file;
// aws_as ACCOUNT runs the AWS CLI as that account's administrator.
func ReadBack() []string {
	return []string{
		"",
		"What the story left, read back with the AWS CLI (bash; aws_as NAME runs it as that account):",
		`  aws_as() { local n=$1; shift; AWS_ACCESS_KEY_ID=$(jq -r ".aws.accounts[] | select(.name==\"$n\") | .accessKeyId" $F) AWS_SECRET_ACCESS_KEY=$(jq -r ".aws.accounts[] | select(.name==\"$n\") | .secretAccessKey" $F) aws --endpoint-url $(jq -r .aws.endpoint $F) --region $(jq -r .aws.region $F) "$@"; }`,
		`  aws_as ml-shared sagemaker list-model-packages --model-package-group-name fraud-detector --query 'ModelPackageSummaryList[].[ModelPackageArn, ModelApprovalStatus]' --output text`,
		`  aws_as governance sagemaker list-model-card-versions --model-card-name fraud-detector --sort-order Ascending --query 'ModelCardVersionSummaryList[].[ModelCardVersion, ModelCardStatus]' --output text`,
		`  aws_as governance sagemaker describe-model-card --model-card-name fraud-detector --query Content --output text | jq '{intended_uses, evaluation_details: [.evaluation_details[] | {name, metric_groups}], stages: .additional_information.custom_details}'`,
		`  CONFIG=$(aws_as prod sagemaker describe-endpoint --endpoint-name fraud-detector --query EndpointConfigName --output text)`,
		`  aws_as prod sagemaker describe-endpoint-config --endpoint-config-name $CONFIG --query '{volumeKey: KmsKeyId, dataCapture: DataCaptureConfig, variants: ProductionVariants}'`,
		`  aws_as prod sagemaker describe-model --model-name $(aws_as prod sagemaker describe-endpoint-config --endpoint-config-name $CONFIG --query 'ProductionVariants[0].ModelName' --output text) --query '{vpc: VpcConfig, networkIsolation: EnableNetworkIsolation}'`,
		`  aws_as prod sagemaker list-tags --resource-arn $(aws_as prod sagemaker describe-endpoint --endpoint-name fraud-detector --query EndpointArn --output text)`,
		`  aws_as prod sagemaker list-tags --resource-arn $(aws_as prod sagemaker describe-model-package-group --model-package-group-name fraud-detector --query ModelPackageGroupArn --output text)`,
		`  aws_as prod application-autoscaling describe-scalable-targets --service-namespace sagemaker`,
		`  aws_as prod application-autoscaling describe-scaling-policies --service-namespace sagemaker`,
		`  aws_as staging sagemaker describe-endpoint-config --endpoint-config-name $(aws_as staging sagemaker describe-endpoint --endpoint-name credit-risk-staging --query EndpointConfigName --output text) --query 'ProductionVariants[0].ServerlessConfig'`,
	}
}
