package sts

import "encoding/xml"

type errorResponse struct {
	XMLName   xml.Name  `xml:"ErrorResponse"`
	Xmlns     string    `xml:"xmlns,attr"`
	Error     errorBody `xml:"Error"`
	RequestID string    `xml:"RequestId"`
}

type errorBody struct {
	Type    string `xml:"Type"`
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

type responseMetadata struct {
	RequestID string `xml:"RequestId"`
}

type getCallerIdentityResponse struct {
	XMLName  xml.Name `xml:"GetCallerIdentityResponse"`
	Xmlns    string   `xml:"xmlns,attr"`
	Result   callerIdentity
	Metadata responseMetadata `xml:"ResponseMetadata"`
}

type callerIdentity struct {
	XMLName xml.Name `xml:"GetCallerIdentityResult"`
	Arn     string   `xml:"Arn"`
	UserID  string   `xml:"UserId"`
	Account string   `xml:"Account"`
}

type credentialsXML struct {
	AccessKeyID     string `xml:"AccessKeyId"`
	SecretAccessKey string `xml:"SecretAccessKey"`
	SessionToken    string `xml:"SessionToken"`
	Expiration      string `xml:"Expiration"`
}

type assumedRoleUser struct {
	Arn           string `xml:"Arn"`
	AssumedRoleID string `xml:"AssumedRoleId"`
}

type assumeRoleResponse struct {
	XMLName  xml.Name `xml:"AssumeRoleResponse"`
	Xmlns    string   `xml:"xmlns,attr"`
	Result   assumeRoleResult
	Metadata responseMetadata `xml:"ResponseMetadata"`
}

type assumeRoleResult struct {
	XMLName          xml.Name        `xml:"AssumeRoleResult"`
	SourceIdentity   string          `xml:"SourceIdentity,omitempty"`
	AssumedRoleUser  assumedRoleUser `xml:"AssumedRoleUser"`
	Credentials      credentialsXML  `xml:"Credentials"`
	PackedPolicySize *int            `xml:"PackedPolicySize,omitempty"`
}

type assumeRoleWithWebIdentityResponse struct {
	XMLName  xml.Name `xml:"AssumeRoleWithWebIdentityResponse"`
	Xmlns    string   `xml:"xmlns,attr"`
	Result   webIdentityResult
	Metadata responseMetadata `xml:"ResponseMetadata"`
}

type webIdentityResult struct {
	XMLName                     xml.Name        `xml:"AssumeRoleWithWebIdentityResult"`
	SubjectFromWebIdentityToken string          `xml:"SubjectFromWebIdentityToken"`
	Audience                    string          `xml:"Audience"`
	AssumedRoleUser             assumedRoleUser `xml:"AssumedRoleUser"`
	Credentials                 credentialsXML  `xml:"Credentials"`
	Provider                    string          `xml:"Provider"`
	SourceIdentity              string          `xml:"SourceIdentity,omitempty"`
}
